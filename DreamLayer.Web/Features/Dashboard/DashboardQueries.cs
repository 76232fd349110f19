using System.Data.Common;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Features.Dashboard;

/// <summary>The days a dashboard shows: from <see cref="From"/> to <see cref="To"/>, both included, UTC days.</summary>
public sealed record DashboardRange(DateOnly From, DateOnly To)
{
    /// <summary>The longest range accepted: ten years of days.</summary>
    public const int MaxDays = 3660;

    public const int DefaultDays = 30;

    public int Days => To.DayNumber - From.DayNumber + 1;

    /// <summary>The last <see cref="DefaultDays"/> days up to <paramref name="today"/>.</summary>
    public static DashboardRange Default(DateOnly today) => new(today.AddDays(1 - DefaultDays), today);

    internal string FromText => From.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
    internal string ToText => To.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Jobs by outcome. The success rate counts succeeded against failed; cancelled jobs are neither.</summary>
public sealed record DashboardCounts(long Succeeded, long Failed, long Cancelled)
{
    public long Jobs => Succeeded + Failed + Cancelled;

    /// <summary>Succeeded out of succeeded and failed, 0 to 1; null when none ended either way.</summary>
    public double? SuccessRate => Succeeded + Failed == 0 ? null : Succeeded / (double)(Succeeded + Failed);
}

public sealed record DashboardDay(DateOnly Day, DashboardCounts Counts);

/// <summary>Jobs of one person (<see cref="Name"/> is their display name, or their id when the account is gone).</summary>
public sealed record DashboardGroup(string Name, DashboardCounts Counts);

/// <summary>Median and 95th percentile of a duration in ms, and how many jobs it is read from; null when none.</summary>
public sealed record DashboardPercentiles(double? Median, double? P95, long Jobs);

/// <summary>A model or server: its jobs and its queue wait and execution times.</summary>
public sealed record DashboardTiming(string Name, DashboardCounts Counts, DashboardPercentiles Wait, DashboardPercentiles Run);

/// <summary>A server's mean steps per second; <see cref="Slow"/> when under <see cref="DashboardQueries.SlowShare"/> of the servers' median.</summary>
public sealed record DashboardSpeed(string Server, double StepsPerSecond, long Jobs, bool Slow);

public sealed record DashboardFailure(string Reason, long Jobs);

/// <summary>Jobs ended in one hour of one weekday in the viewer's time zone.</summary>
public sealed record DashboardHour(DayOfWeek Weekday, int Hour, long Jobs);

/// <summary>
/// The dashboard's figures, each chart one query on the rollups of <see cref="DashboardSchema"/> (decision 0033), never on
/// the job rows: at a million jobs each stays in milliseconds (the benchmark's <c>dashboard</c> mode measures them).
/// Per-person figures are for admins: callers check the role (<see cref="DashboardEndpoints"/>, the page).
/// </summary>
public sealed class DashboardQueries(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>A server whose steps per second is under this share of the median is marked slow.</summary>
    public const double SlowShare = 0.75;

    /// <summary>How many failure reasons are shown: the most common ones.</summary>
    public const int MaxReasons = 10;

    public async Task<DashboardCounts> TotalsAsync(DashboardRange range, CancellationToken ct)
    {
        var rows = await ReadAsync(range, "SELECT SUM(Succeeded), SUM(Failed), SUM(Cancelled) FROM DashboardDays WHERE Day BETWEEN $from AND $to",
            r => Counts(r, 0), ct);
        return rows[0];
    }

    /// <summary>Every day of the range, with zeros where nothing ended.</summary>
    public async Task<IReadOnlyList<DashboardDay>> DaysAsync(DashboardRange range, CancellationToken ct)
    {
        var rows = await ReadAsync(range,
            "SELECT Day, SUM(Succeeded), SUM(Failed), SUM(Cancelled) FROM DashboardDays WHERE Day BETWEEN $from AND $to GROUP BY Day",
            r => (Day: DateOnly.ParseExact(r.GetString(0), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Counts: Counts(r, 1)), ct);
        var byDay = rows.ToDictionary(r => r.Day, r => r.Counts);
        var empty = new DashboardCounts(0, 0, 0);
        return [.. Enumerable.Range(0, range.Days).Select(i => range.From.AddDays(i)).Select(d => new DashboardDay(d, byDay.GetValueOrDefault(d, empty)))];
    }

    /// <summary>Each person's jobs, most first. Admins only.</summary>
    public Task<List<DashboardGroup>> PeopleAsync(DashboardRange range, CancellationToken ct) => ReadAsync(range, """
        SELECT COALESCE(NULLIF(u.DisplayName, ''), u.UserName, d.Owner), SUM(d.Succeeded), SUM(d.Failed), SUM(d.Cancelled)
        FROM DashboardDays d LEFT JOIN AspNetUsers u ON u.Id = d.Owner
        WHERE d.Day BETWEEN $from AND $to GROUP BY d.Owner ORDER BY SUM(d.Succeeded + d.Failed + d.Cancelled) DESC
        """, r => new DashboardGroup(r.GetString(0), Counts(r, 1)), ct);

    /// <summary>Each model's jobs and times, most jobs first.</summary>
    public Task<List<DashboardTiming>> ModelsAsync(DashboardRange range, CancellationToken ct) => TimingsAsync(range, "model", "Model", ct);

    /// <summary>Each server's (or cloud provider's) jobs and times, most jobs first.</summary>
    public Task<List<DashboardTiming>> ServersAsync(DashboardRange range, CancellationToken ct) => TimingsAsync(range, "server", "Server", ct);

    /// <summary>Each server's mean steps per second, slowest first, the slow ones marked.</summary>
    public async Task<IReadOnlyList<DashboardSpeed>> SpeedAsync(DashboardRange range, CancellationToken ct)
    {
        var rows = await ReadAsync(range, """
            SELECT Server, SUM(StepsPerSecondSum), SUM(StepsPerSecondCount) FROM DashboardDays
            WHERE Day BETWEEN $from AND $to GROUP BY Server HAVING SUM(StepsPerSecondCount) > 0
            """, r => (Server: r.GetString(0), Speed: r.GetDouble(1) / r.GetInt64(2), Jobs: r.GetInt64(2)), ct);
        if (rows.Count == 0)
        {
            return [];
        }
        var median = Median([.. rows.Select(r => r.Speed)]);
        return [.. rows.OrderBy(r => r.Speed).ThenBy(r => r.Server, StringComparer.Ordinal)
            .Select(r => new DashboardSpeed(r.Server, r.Speed, r.Jobs, rows.Count > 1 && r.Speed < median * SlowShare))];
    }

    /// <summary>The <see cref="MaxReasons"/> most common reasons jobs failed.</summary>
    public Task<List<DashboardFailure>> FailuresAsync(DashboardRange range, CancellationToken ct) => ReadAsync(range, $"""
        SELECT Reason, SUM(Jobs) FROM DashboardFailures WHERE Day BETWEEN $from AND $to
        GROUP BY Reason ORDER BY SUM(Jobs) DESC, Reason LIMIT {MaxReasons}
        """, r => new DashboardFailure(r.GetString(0), r.GetInt64(1)), ct);

    /// <summary>
    /// Jobs by weekday and hour in <paramref name="zone"/>, every one of the 7 × 24 cells (Monday first). The range's
    /// days are UTC days, like the other charts', so their totals agree.
    /// </summary>
    public async Task<IReadOnlyList<DashboardHour>> HoursAsync(DashboardRange range, TimeZoneInfo zone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var rows = await ReadAsync(range, "SELECT Hour, Jobs FROM DashboardHours WHERE Hour >= $from AND Hour < $to || '~'",
            r => (Hour: r.GetString(0), Jobs: r.GetInt64(1)), ct);
        var cells = new long[7, 24];
        foreach (var (hour, jobs) in rows)
        {
            if (DateTime.TryParseExact(hour, "yyyy-MM-dd HH", System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var utc))
            {
                var local = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
                cells[((int)local.DayOfWeek + 6) % 7, local.Hour] += jobs;
            }
        }
        return [.. Enumerable.Range(0, 7).SelectMany(d => Enumerable.Range(0, 24).Select(h => new DashboardHour((DayOfWeek)((d + 1) % 7), h, cells[d, h])))];
    }

    private async Task<List<DashboardTiming>> TimingsAsync(DashboardRange range, string dimension, string column, CancellationToken ct)
    {
        var counts = await ReadAsync(range, $"""
            SELECT {column}, SUM(Succeeded), SUM(Failed), SUM(Cancelled) FROM DashboardDays
            WHERE Day BETWEEN $from AND $to GROUP BY {column}
            """, r => (Name: r.GetString(0), Counts: Counts(r, 1)), ct);
        var wait = await HistogramsAsync(range, dimension, "wait", ct);
        var run = await HistogramsAsync(range, dimension, "run", ct);
        var none = new DashboardPercentiles(null, null, 0);
        return [.. counts.OrderByDescending(c => c.Counts.Jobs).ThenBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new DashboardTiming(c.Name, c.Counts, wait.GetValueOrDefault(c.Name, none), run.GetValueOrDefault(c.Name, none)))];
    }

    private async Task<Dictionary<string, DashboardPercentiles>> HistogramsAsync(DashboardRange range, string dimension, string metric, CancellationToken ct)
    {
        var rows = await ReadAsync(range, $"""
            SELECT Name, Bin, SUM(Jobs) FROM DashboardDurations
            WHERE Dimension = '{dimension}' AND Metric = '{metric}' AND Day BETWEEN $from AND $to GROUP BY Name, Bin ORDER BY Name, Bin
            """, r => (Name: r.GetString(0), Bin: r.GetInt32(1), Jobs: r.GetInt64(2)), ct);
        return rows.GroupBy(r => r.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => Percentiles([.. g.Select(r => (r.Bin, r.Jobs))]), StringComparer.Ordinal);
    }

    /// <summary>The median and 95th percentile (nearest rank) of a histogram of bins in ascending order.</summary>
    public static DashboardPercentiles Percentiles(IReadOnlyList<(int Bin, long Jobs)> bins)
    {
        ArgumentNullException.ThrowIfNull(bins);
        var total = bins.Sum(b => b.Jobs);
        if (total == 0)
        {
            return new DashboardPercentiles(null, null, 0);
        }
        return new DashboardPercentiles(Rank(bins, total, 0.5), Rank(bins, total, 0.95), total);
    }

    private static double Rank(IReadOnlyList<(int Bin, long Jobs)> bins, long total, double share)
    {
        var rank = (long)Math.Ceiling(share * total);
        long seen = 0;
        foreach (var (bin, jobs) in bins)
        {
            seen += jobs;
            if (seen >= rank)
            {
                return DashboardSchema.BinMiddleMs(bin);
            }
        }
        return DashboardSchema.BinMiddleMs(bins[^1].Bin);
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        var middle = values.Length / 2;
        return values.Length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    private static DashboardCounts Counts(DbDataReader r, int first) => new(
        r.IsDBNull(first) ? 0 : r.GetInt64(first), r.IsDBNull(first + 1) ? 0 : r.GetInt64(first + 1), r.IsDBNull(first + 2) ? 0 : r.GetInt64(first + 2));

    private async Task<List<T>> ReadAsync<T>(DashboardRange range, string sql, Func<DbDataReader, T> read, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Add(command, "$from", range.FromText);
        Add(command, "$to", range.ToText);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    private static void Add(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
