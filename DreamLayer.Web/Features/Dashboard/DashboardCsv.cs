using System.Globalization;
using System.Text;

namespace DreamLayer.Web.Features.Dashboard;

/// <summary>The dashboard's charts, each exportable as CSV; <see cref="People"/> is for admins only.</summary>
public enum DashboardChart
{
    Outcomes,
    Days,
    People,
    Models,
    Servers,
    Speed,
    Failures,
    Hours,
}

/// <summary>Each chart's figures as CSV (RFC 4180, through <see cref="Csv"/>), with a header line of snake_case names.</summary>
public static class DashboardCsv
{
    /// <summary>The chart's name in the export's address and file name.</summary>
    public static string Slug(DashboardChart chart) => chart.ToString().ToLowerInvariant();

    public static bool TryParse(string? slug, out DashboardChart chart)
    {
        foreach (var candidate in Enum.GetValues<DashboardChart>())
        {
            if (string.Equals(Slug(candidate), slug, StringComparison.Ordinal))
            {
                chart = candidate;
                return true;
            }
        }
        chart = default;
        return false;
    }

    /// <summary>Reads the chart's figures and writes them.</summary>
    public static async Task<string> WriteAsync(DashboardQueries queries, DashboardChart chart, DashboardRange range, TimeZoneInfo zone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(queries);
        return chart switch
        {
            DashboardChart.Outcomes => Outcomes(await queries.TotalsAsync(range, ct)),
            DashboardChart.Days => Days(await queries.DaysAsync(range, ct)),
            DashboardChart.People => People(await queries.PeopleAsync(range, ct)),
            DashboardChart.Models => Timings("model", await queries.ModelsAsync(range, ct)),
            DashboardChart.Servers => Timings("server", await queries.ServersAsync(range, ct)),
            DashboardChart.Speed => Speed(await queries.SpeedAsync(range, ct)),
            DashboardChart.Failures => Failures(await queries.FailuresAsync(range, ct)),
            _ => Hours(await queries.HoursAsync(range, zone, ct)),
        };
    }

    public static string Outcomes(DashboardCounts totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        return Write(["succeeded", "failed", "cancelled", "jobs", "success_rate"], [[.. CountCells(totals)]]);
    }

    public static string Days(IEnumerable<DashboardDay> days) =>
        Write(["day", "succeeded", "failed", "cancelled", "jobs", "success_rate"],
            days.Select(d => (string[])[d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), .. CountCells(d.Counts)]));

    public static string People(IEnumerable<DashboardGroup> people) =>
        Write(["person", "succeeded", "failed", "cancelled", "jobs", "success_rate"],
            people.Select(p => (string[])[Csv.Field(p.Name), .. CountCells(p.Counts)]));

    public static string Timings(string name, IEnumerable<DashboardTiming> rows) =>
        Write([name, "succeeded", "failed", "cancelled", "jobs", "success_rate", "queue_wait_median_ms", "queue_wait_p95_ms", "execution_median_ms", "execution_p95_ms"],
            rows.Select(r => (string[])[Csv.Field(r.Name), .. CountCells(r.Counts), Number(r.Wait.Median), Number(r.Wait.P95), Number(r.Run.Median), Number(r.Run.P95)]));

    public static string Speed(IEnumerable<DashboardSpeed> rows) =>
        Write(["server", "steps_per_second", "jobs", "slow"],
            rows.Select(r => (string[])[Csv.Field(r.Server), Number(r.StepsPerSecond), Int(r.Jobs), r.Slow ? "true" : "false"]));

    public static string Failures(IEnumerable<DashboardFailure> rows) =>
        Write(["reason", "jobs"], rows.Select(r => (string[])[Csv.Field(r.Reason), Int(r.Jobs)]));

    public static string Hours(IEnumerable<DashboardHour> rows) =>
        Write(["weekday", "hour", "jobs"], rows.Select(r => (string[])[r.Weekday.ToString(), Int(r.Hour), Int(r.Jobs)]));

    private static IEnumerable<string> CountCells(DashboardCounts c) =>
        [Int(c.Succeeded), Int(c.Failed), Int(c.Cancelled), Int(c.Jobs), c.SuccessRate is { } rate ? rate.ToString("0.0###", CultureInfo.InvariantCulture) : string.Empty];

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Number(double? value) => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : string.Empty;

    private static string Write(IReadOnlyList<string> columns, IEnumerable<string[]> rows)
    {
        var csv = new StringBuilder().AppendJoin(',', columns).Append(Csv.LineEnd);
        foreach (var row in rows)
        {
            csv.AppendJoin(',', row).Append(Csv.LineEnd);
        }
        return csv.ToString();
    }
}
