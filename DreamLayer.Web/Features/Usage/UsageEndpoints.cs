using System.Text;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud.Pricing;

namespace DreamLayer.Web.Features.Usage;

/// <summary>
/// The usage as CSV: a person's own (<see cref="OwnCsv"/>) or everyone's (<see cref="TeamCsv"/>, admins only: a member
/// gets 403). The period is the last <c>months</c> calendar months (UTC), this one included: 1, 3 or 12.
/// </summary>
public static class UsageEndpoints
{
    public const string OwnCsv = "/usage/export.csv";
    public const string TeamCsv = "/usage/team/export.csv";

    private static readonly int[] Periods = [1, 3, 12];

    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(OwnCsv, (SignedInUser user, CloudUsage usage, TimeProvider clock, int? months, CancellationToken ct) =>
            ExportAsync(usage, clock, months, user.Id, "my-cloud-usage", ct)).RequireAuthorization();
        app.MapGet(TeamCsv, (CloudUsage usage, TimeProvider clock, int? months, CancellationToken ct) =>
            ExportAsync(usage, clock, months, null, "team-cloud-usage", ct)).RequireAuthorization(p => p.RequireRole(Roles.Admin));
        return app;
    }

    /// <summary>From the first day of the month <paramref name="months"/> − 1 months back, to the first of next month.</summary>
    public static (DateTime From, DateTime To) Period(DateTime now, int months)
    {
        var start = CloudBudgets.MonthStart(now);
        return (start.AddMonths(1 - months), start.AddMonths(1));
    }

    private static async Task<IResult> ExportAsync(CloudUsage usage, TimeProvider clock, int? months, string? personId, string name, CancellationToken ct)
    {
        var period = months ?? 1;
        if (!Periods.Contains(period))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid period", detail: "months is 1, 3 or 12.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var (from, to) = Period(now, period);
        var csv = CloudUsage.ToCsv(await usage.RowsAsync(from, to, personId, ct));
        return Results.File(Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8", $"{name}-{now:yyyy-MM}.csv");
    }
}
