using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>Every change of a job's state is guarded in the database by the domain's state machine.</summary>
public sealed class JobStoreTransitionTests : IDisposable
{
    private static readonly DateTime Now = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private readonly string _path = Path.Combine(Path.GetTempPath(), "dreamlayer-transitions-" + Guid.NewGuid().ToString("N") + ".db");
    private readonly TestContextFactory _factory;
    private readonly JobStore _store;

    public JobStoreTransitionTests()
    {
        _factory = new TestContextFactory(new DbContextOptionsBuilder<DreamLayerDbContext>().UseSqlite($"Data Source={_path};Pooling=False").Options);
        using (var db = _factory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        _store = new JobStore(_factory);
    }

    private async Task<Guid> CancelledJobAsync()
    {
        var job = new JobEntity { Id = Guid.NewGuid(), Owner = "tester", Mode = "Txt2Img", Status = JobStatus.Queued, CreatedAt = Now };
        await _store.InsertAsync([job], default);
        job.Backend = "standin";
        job.PromptId = job.Id.ToString();
        await _store.MarkSubmittedAsync(job, default);
        await _store.EndAsync(job.Id, JobStatus.Cancelled, "Cancelled.", Now, default);
        return job.Id;
    }

    private async Task<JobEntity> RowAsync(Guid id)
    {
        await using var db = _factory.CreateDbContext();
        return await db.Jobs.Include(j => j.Images).AsNoTracking().SingleAsync(j => j.Id == id);
    }

    [Fact]
    public async Task LateSuccess_ForACancelledJob_KeepsItCancelledWithoutImages()
    {
        var id = await CancelledJobAsync();

        await _store.FinishAsync(new JobResult(id, JobStatus.Succeeded, null, Now, Now.AddSeconds(5), 1, 2, 3, "{}", 4),
            [new ImageEntity { Id = Guid.NewGuid(), JobId = id, OwnerId = "tester", CreatedAt = Now, RelativePath = "late.png" }], default);

        var row = await RowAsync(id);
        Assert.Equal((JobStatus.Cancelled, "Cancelled."), (row.Status, row.StatusMessage));
        Assert.Empty(row.Images);
    }

    [Fact]
    public async Task LateFailureOrRequeue_ForACancelledJob_KeepsItCancelled()
    {
        var id = await CancelledJobAsync();

        await _store.EndAsync(id, JobStatus.Failed, "the server failed late", Now, default);
        await _store.RequeueAsync(id, "the server lost it", lostRun: true, default);
        await _store.MarkSubmittedAsync(new JobEntity { Id = id, Backend = "other", PromptId = "again", Attempts = 2 }, default);

        var row = await RowAsync(id);
        Assert.Equal((JobStatus.Cancelled, "Cancelled.", 0), (row.Status, row.StatusMessage, row.LostRuns));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        File.Delete(_path);
    }
}
