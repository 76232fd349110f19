using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace DreamLayer.Web.Data.Migrations
{
    /// <summary>
    /// The dashboard's rollups (decision 0033, <see cref="DashboardSchema"/>): tables that triggers on <c>Jobs</c> keep in
    /// step as jobs end, filled from the jobs already recorded. Invisible to EF Core's model: this migration has no target
    /// model of its own. Frozen text, like the Gallery migration's: a migration that ran must mean the same thing forever.
    /// </summary>
    [DbContext(typeof(DreamLayerDbContext))]
    [Migration("20261207230000_DashboardRollups")]
    public partial class DashboardRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE DashboardBins (Bin INTEGER NOT NULL PRIMARY KEY, UpperMs REAL NOT NULL);
                WITH RECURSIVE b(Bin, UpperMs) AS (SELECT 0, 1.0 UNION ALL SELECT Bin + 1, UpperMs * 1.0905077326652577 FROM b WHERE Bin < 240)
                INSERT INTO DashboardBins (Bin, UpperMs) SELECT Bin, UpperMs FROM b;
                CREATE UNIQUE INDEX IX_DashboardBins_UpperMs ON DashboardBins (UpperMs, Bin);
                CREATE TABLE DashboardDays (
                    Day TEXT NOT NULL, Owner TEXT NOT NULL, Model TEXT NOT NULL, Server TEXT NOT NULL,
                    Succeeded INTEGER NOT NULL, Failed INTEGER NOT NULL, Cancelled INTEGER NOT NULL,
                    StepsPerSecondSum REAL NOT NULL, StepsPerSecondCount INTEGER NOT NULL,
                    PRIMARY KEY (Day, Owner, Model, Server)) WITHOUT ROWID;
                CREATE TABLE DashboardDurations (
                    Dimension TEXT NOT NULL, Metric TEXT NOT NULL, Day TEXT NOT NULL, Name TEXT NOT NULL, Bin INTEGER NOT NULL, Jobs INTEGER NOT NULL,
                    PRIMARY KEY (Dimension, Metric, Day, Name, Bin)) WITHOUT ROWID;
                CREATE TABLE DashboardFailures (Day TEXT NOT NULL, Reason TEXT NOT NULL, Jobs INTEGER NOT NULL, PRIMARY KEY (Day, Reason)) WITHOUT ROWID;
                CREATE TABLE DashboardHours (Hour TEXT NOT NULL PRIMARY KEY, Jobs INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TRIGGER Jobs_Dashboard_Insert AFTER INSERT ON Jobs WHEN NEW.Status IN ('Succeeded', 'Failed', 'Cancelled') BEGIN
                    INSERT INTO DashboardDays (Day, Owner, Model, Server, Succeeded, Failed, Cancelled, StepsPerSecondSum, StepsPerSecondCount)
                    VALUES (substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Owner, NEW.Checkpoint, COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), NEW.Status = 'Succeeded', NEW.Status = 'Failed', NEW.Status = 'Cancelled',
                            COALESCE(NEW.StepsPerSecond, 0), NEW.StepsPerSecond IS NOT NULL)
                    ON CONFLICT (Day, Owner, Model, Server) DO UPDATE SET Succeeded = Succeeded + excluded.Succeeded, Failed = Failed + excluded.Failed,
                        Cancelled = Cancelled + excluded.Cancelled, StepsPerSecondSum = StepsPerSecondSum + excluded.StepsPerSecondSum,
                        StepsPerSecondCount = StepsPerSecondCount + excluded.StepsPerSecondCount;
                    INSERT INTO DashboardFailures (Day, Reason, Jobs) SELECT substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), substr(COALESCE(NULLIF(trim(NEW.StatusMessage), ''), '(no reason given)'), 1, 200), 1 WHERE NEW.Status = 'Failed'
                    ON CONFLICT (Day, Reason) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardHours (Hour, Jobs) VALUES (substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 13), 1) ON CONFLICT (Hour) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'model', 'wait', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Checkpoint, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.QueueWaitMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.QueueWaitMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'model', 'run', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Checkpoint, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.ExecutionMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.ExecutionMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'server', 'wait', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.QueueWaitMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.QueueWaitMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'server', 'run', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.ExecutionMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.ExecutionMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                END;
                CREATE TRIGGER Jobs_Dashboard_Update AFTER UPDATE OF Status ON Jobs WHEN NEW.Status IN ('Succeeded', 'Failed', 'Cancelled') AND OLD.Status NOT IN ('Succeeded', 'Failed', 'Cancelled') BEGIN
                    INSERT INTO DashboardDays (Day, Owner, Model, Server, Succeeded, Failed, Cancelled, StepsPerSecondSum, StepsPerSecondCount)
                    VALUES (substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Owner, NEW.Checkpoint, COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), NEW.Status = 'Succeeded', NEW.Status = 'Failed', NEW.Status = 'Cancelled',
                            COALESCE(NEW.StepsPerSecond, 0), NEW.StepsPerSecond IS NOT NULL)
                    ON CONFLICT (Day, Owner, Model, Server) DO UPDATE SET Succeeded = Succeeded + excluded.Succeeded, Failed = Failed + excluded.Failed,
                        Cancelled = Cancelled + excluded.Cancelled, StepsPerSecondSum = StepsPerSecondSum + excluded.StepsPerSecondSum,
                        StepsPerSecondCount = StepsPerSecondCount + excluded.StepsPerSecondCount;
                    INSERT INTO DashboardFailures (Day, Reason, Jobs) SELECT substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), substr(COALESCE(NULLIF(trim(NEW.StatusMessage), ''), '(no reason given)'), 1, 200), 1 WHERE NEW.Status = 'Failed'
                    ON CONFLICT (Day, Reason) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardHours (Hour, Jobs) VALUES (substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 13), 1) ON CONFLICT (Hour) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'model', 'wait', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Checkpoint, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.QueueWaitMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.QueueWaitMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'model', 'run', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), NEW.Checkpoint, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.ExecutionMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.ExecutionMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'server', 'wait', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.QueueWaitMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.QueueWaitMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                    INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                    SELECT 'server', 'run', substr(COALESCE(NEW.FinishedAt, NEW.CreatedAt), 1, 10), COALESCE(NULLIF(NEW.CloudProvider, ''), NULLIF(NEW.Backend, ''), '(not sent)'), COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= NEW.ExecutionMs ORDER BY UpperMs LIMIT 1), 240), 1 WHERE NEW.ExecutionMs IS NOT NULL
                    ON CONFLICT (Dimension, Metric, Day, Name, Bin) DO UPDATE SET Jobs = Jobs + 1;
                END;
                """);
            migrationBuilder.Sql("""
                DELETE FROM DashboardDays;
                DELETE FROM DashboardDurations;
                DELETE FROM DashboardFailures;
                DELETE FROM DashboardHours;
                INSERT INTO DashboardDays (Day, Owner, Model, Server, Succeeded, Failed, Cancelled, StepsPerSecondSum, StepsPerSecondCount)
                SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10), Owner, Checkpoint, COALESCE(NULLIF(CloudProvider, ''), NULLIF(Backend, ''), '(not sent)'), SUM(Status = 'Succeeded'), SUM(Status = 'Failed'), SUM(Status = 'Cancelled'),
                       COALESCE(SUM(StepsPerSecond), 0), COUNT(StepsPerSecond)
                FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') GROUP BY 1, 2, 3, 4;
                INSERT INTO DashboardFailures (Day, Reason, Jobs)
                SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10), substr(COALESCE(NULLIF(trim(StatusMessage), ''), '(no reason given)'), 1, 200), COUNT(*) FROM Jobs WHERE Status = 'Failed' GROUP BY 1, 2;
                INSERT INTO DashboardHours (Hour, Jobs) SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 13), COUNT(*) FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') GROUP BY 1;
                INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                SELECT 'model', 'wait', Day, Name, Bin, COUNT(*) FROM (
                    SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10) AS Day, Checkpoint AS Name, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= QueueWaitMs ORDER BY UpperMs LIMIT 1), 240) AS Bin FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') AND QueueWaitMs IS NOT NULL)
                GROUP BY Day, Name, Bin;
                INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                SELECT 'model', 'run', Day, Name, Bin, COUNT(*) FROM (
                    SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10) AS Day, Checkpoint AS Name, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= ExecutionMs ORDER BY UpperMs LIMIT 1), 240) AS Bin FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') AND ExecutionMs IS NOT NULL)
                GROUP BY Day, Name, Bin;
                INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                SELECT 'server', 'wait', Day, Name, Bin, COUNT(*) FROM (
                    SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10) AS Day, COALESCE(NULLIF(CloudProvider, ''), NULLIF(Backend, ''), '(not sent)') AS Name, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= QueueWaitMs ORDER BY UpperMs LIMIT 1), 240) AS Bin FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') AND QueueWaitMs IS NOT NULL)
                GROUP BY Day, Name, Bin;
                INSERT INTO DashboardDurations (Dimension, Metric, Day, Name, Bin, Jobs)
                SELECT 'server', 'run', Day, Name, Bin, COUNT(*) FROM (
                    SELECT substr(COALESCE(FinishedAt, CreatedAt), 1, 10) AS Day, COALESCE(NULLIF(CloudProvider, ''), NULLIF(Backend, ''), '(not sent)') AS Name, COALESCE((SELECT Bin FROM DashboardBins WHERE UpperMs >= ExecutionMs ORDER BY UpperMs LIMIT 1), 240) AS Bin FROM Jobs WHERE Status IN ('Succeeded', 'Failed', 'Cancelled') AND ExecutionMs IS NOT NULL)
                GROUP BY Day, Name, Bin;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS Jobs_Dashboard_Insert;
                DROP TRIGGER IF EXISTS Jobs_Dashboard_Update;
                DROP TABLE IF EXISTS DashboardDays;
                DROP TABLE IF EXISTS DashboardDurations;
                DROP TABLE IF EXISTS DashboardFailures;
                DROP TABLE IF EXISTS DashboardHours;
                DROP TABLE IF EXISTS DashboardBins;
                """);
        }
    }
}
