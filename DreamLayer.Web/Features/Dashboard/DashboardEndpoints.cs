using System.Globalization;
using System.Text;
using DreamLayer.Web.Accounts;

namespace DreamLayer.Web.Features.Dashboard;

/// <summary>
/// Each dashboard chart as CSV: <c>/dashboard/export/{chart}.csv?from=yyyy-MM-dd&amp;to=yyyy-MM-dd&amp;tz=Europe/Berlin</c>
/// (the range defaults to the last 30 UTC days; <c>tz</c>, an IANA time zone, is for the busiest hours and defaults to
/// UTC). Signed-in people only; the per-person chart is for admins: a member gets 403.
/// </summary>
public static class DashboardEndpoints
{
    public const string ExportPrefix = "/dashboard/export/";

    public static string ExportUrl(DashboardChart chart, DashboardRange range, string? timeZone)
    {
        ArgumentNullException.ThrowIfNull(range);
        var url = $"{ExportPrefix}{DashboardCsv.Slug(chart)}.csv?from={range.FromText}&to={range.ToText}";
        return timeZone is null ? url : url + "&tz=" + Uri.EscapeDataString(timeZone);
    }

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(ExportPrefix + "{chart}.csv", ExportAsync).RequireAuthorization();
        return app;
    }

    /// <summary>Reads a range from the query: both days or neither, <c>from</c> not after <c>to</c>, at most <see cref="DashboardRange.MaxDays"/> days.</summary>
    public static bool TryParseRange(string? from, string? to, DateOnly today, out DashboardRange range, out string error)
    {
        range = DashboardRange.Default(today);
        error = string.Empty;
        if (from is null && to is null)
        {
            return true;
        }
        if (!TryDay(from, out var start) || !TryDay(to, out var end))
        {
            error = "from and to are days written yyyy-MM-dd, both given.";
            return false;
        }
        if (end < start)
        {
            error = "from is after to.";
            return false;
        }
        if (end.DayNumber - start.DayNumber + 1 > DashboardRange.MaxDays)
        {
            error = $"A range is at most {DashboardRange.MaxDays} days.";
            return false;
        }
        range = new DashboardRange(start, end);
        return true;
    }

    private static bool TryDay(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    private static async Task<IResult> ExportAsync(string chart, string? from, string? to, string? tz, SignedInUser user,
        DashboardQueries queries, TimeProvider clock, CancellationToken ct)
    {
        if (!DashboardCsv.TryParse(chart, out var which))
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "No such chart",
                detail: $"The charts are {string.Join(", ", Enum.GetValues<DashboardChart>().Select(DashboardCsv.Slug))}.");
        }
        if (which == DashboardChart.People && !user.IsAdmin)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Admins only", detail: "The per-person figures are for admins.");
        }
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (!TryParseRange(from, to, today, out var range, out var error))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid range", detail: error);
        }
        var zone = TimeZoneInfo.Utc;
        if (tz is not null && (tz.Length > 64 || !TimeZoneInfo.TryFindSystemTimeZoneById(tz, out zone)))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid time zone", detail: "tz is an IANA time zone such as Europe/Berlin.");
        }
        var csv = await DashboardCsv.WriteAsync(queries, which, range, zone, ct);
        return Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"dashboard-{DashboardCsv.Slug(which)}-{range.FromText}-to-{range.ToText}.csv");
    }
}
