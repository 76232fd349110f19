using System.Text;

namespace DreamLayer.Web.Data;

/// <summary>
/// The dashboard's rollups (decision 0033): what a finished job adds to the figures, kept in step by SQLite triggers on
/// <c>Jobs</c> (a job's row moving to, or inserted in, an end state) and rebuilt from the job rows by
/// <see cref="Rebuild"/>. Invisible to EF Core's model, like the search index (decision 0007). Days and hours are UTC
/// (<c>yyyy-MM-dd</c>, <c>yyyy-MM-dd HH</c>, the prefix of how EF Core stores a <see cref="DateTime"/>) of the moment the
/// job ended. Durations are counted in logarithmic bins, <see cref="BinsPerDoubling"/> per doubling, from which the
/// percentiles are read: a figure is within <see cref="RelativeError"/> of the exact one.
/// The DashboardRollups migration holds this SQL written out (the tables, the bins and the triggers, then
/// <see cref="Rebuild"/>), as an applied migration is frozen text: changing it means a migration of its own that drops and
/// recreates the triggers and rebuilds. <see cref="Rebuild"/> is also what the benchmark's seeder runs after filling <c>Jobs</c> without triggers.
/// </summary>
public static class DashboardSchema
{
    public const int BinsPerDoubling = 8;

    /// <summary>The last bin: 2^(LastBin/8) ms, some 12 days; anything longer counts in it.</summary>
    public const int LastBin = 240;

    /// <summary>Half a bin's width: the largest relative distance of a bin's middle from a value in it.</summary>
    public static readonly double RelativeError = Math.Pow(2, 0.5 / BinsPerDoubling) - 1;

    /// <summary>The duration a bin stands for: the geometric middle of its bounds (bin 0 holds up to 1 ms).</summary>
    public static double BinMiddleMs(int bin) => bin <= 0 ? 1 : Math.Pow(2, (Math.Min(bin, LastBin) - 0.5) / BinsPerDoubling);

    private const string Ended = "('Succeeded', 'Failed', 'Cancelled')";

    /// <summary>What a job's server is on the dashboard: the cloud provider for a cloud job, else the ComfyUI server.</summary>
    private const string Server = "COALESCE(NULLIF(CloudProvider, ''), NULLIF(Backend, ''), '(not sent)')";

    private const string Day = "substr(COALESCE(FinishedAt, CreatedAt), 1, 10)";
    private const string Hour = "substr(COALESCE(FinishedAt, CreatedAt), 1, 13)";
    private const string Reason = "substr(COALESCE(NULLIF(trim(StatusMessage), ''), '(no reason given)'), 1, 200)";

    private static readonly (string Dimension, string Column)[] Dimensions = [("model", "Checkpoint"), ("server", Server)];
    private static readonly (string Metric, string Column)[] Metrics = [("wait", "QueueWaitMs"), ("run", "ExecutionMs")];

    /// <summary>Empties the rollups and fills them again from every ended job: one grouped pass per table.</summary>
    public static string Rebuild { get; } = BuildRebuild();

    private static string Bin(string value) =>
        $"COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= {value} ORDER BY UpperMs LIMIT 1), {LastBin})";

    private static string BuildRebuild()
    {
        var sql = new StringBuilder($"""
            DELETE FROM DashboardDays;
            DELETE FROM DashboardDurations;
            DELETE FROM DashboardFailures;
            DELETE FROM DashboardHours;
            INSERT INTO DashboardDays (Day, Owner, Model, Server, Succeeded, Failed, Cancelled, StepsPerSecondSum, StepsPerSecondCount)
            SELECT {Day}, Owner, Checkpoint, {Server}, SUM(Status = 'Succeeded'), SUM(Status = 'Failed'), SUM(Status = 'Cancelled'),
                   COALESCE(SUM(StepsPerSecond), 0), COUNT(StepsPerSecond)
            FROM Jobs WHERE Status IN {Ended} GROUP BY 1, 2, 3, 4;
            INSERT INTO DashboardFailures (Day, Reason, Jobs)
            SELECT {Day}, {Reason}, COUNT(*) FROM Jobs WHERE Status = 'Failed' GROUP BY 1, 2;
            INSERT INTO DashboardHours (Hour, Jobs) SELECT {Hour}, COUNT(*) FROM Jobs WHERE Status IN {Ended} GROUP BY 1;

            """);
        foreach (var (dimension, name) in Dimensions)
        {
            foreach (var (metric, column) in Metrics)
            {
                sql.Append($"""
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT '{dimension}', '{metric}', Day, Name, Bin, COUNT(*) FROM (
                        SELECT {Day} AS Day, {name} AS Name, {Bin(column)} AS Bin FROM Jobs WHERE Status IN {Ended} AND {column} IS NOT NULL)
                    GROUP BY Day, Name, Bin;

                    """);
            }
        }
        return sql.ToString();
    }
}
