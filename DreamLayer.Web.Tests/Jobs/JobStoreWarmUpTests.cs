using System.Collections.Concurrent;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>
/// The database warm-up leaves nothing for EF Core to compile in a job's own updates. EF Core compiles an update
/// again for each pattern of equal values in it, so a warm-up with the wrong values leaves the compilation (tens of
/// milliseconds) to the first job of the day.
/// </summary>
public sealed class JobStoreWarmUpTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "dreamlayer-warmup-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task After_the_warm_up_a_jobs_updates_are_not_compiled_again()
    {
        var (store, compiled) = NewStore("warm");
        await store.WarmUpAsync(default);
        compiled.Clear();

        await RunJobUpdatesAsync(store);

        Assert.Empty(compiled);
    }

    [Fact]
    public async Task Without_the_warm_up_the_first_job_compiles_its_updates()
    {
        // The check above can only fail if compilations are seen: here they are.
        var (store, compiled) = NewStore("cold");

        await RunJobUpdatesAsync(store);

        Assert.True(compiled.Count >= 2, $"Expected the job's updates to be compiled, saw {compiled.Count}.");
    }

    /// <summary>The updates a successful job makes, with the values a real one has (all different, a step rate or none).</summary>
    private static async Task RunJobUpdatesAsync(JobStore store)
    {
        var sent = new DateTime(2026, 11, 26, 9, 0, 0, DateTimeKind.Utc);
        foreach (var stepsPerSecond in new double?[] { 12.5, null })
        {
            var job = new JobEntity { Id = Guid.NewGuid(), Backend = "studio-gpu", PromptId = Guid.NewGuid().ToString(), GraphJson = """{"3":{}}""", SentAt = sent, Attempts = 1 };
            await store.MarkSubmittedAsync(job, default);
            await store.FinishAsync(new JobResult(job.Id, JobStatus.Succeeded, null, sent.AddSeconds(1), sent.AddSeconds(9), 1000, 8000, stepsPerSecond, """{"3":7950.5}""", 6.2), [], default);
            await store.SetCompletionOverheadAsync(job.Id, 7.4, default);
        }
    }

    /// <summary>A store on its own database and its own EF Core services, so that no other test's compiled queries count.</summary>
    private (JobStore Store, ConcurrentQueue<string> Compiled) NewStore(string name)
    {
        Directory.CreateDirectory(_directory);
        var compiled = new ConcurrentQueue<string>();
        var services = new ServiceCollection().AddEntityFrameworkSqlite().BuildServiceProvider();
        var options = new DbContextOptionsBuilder<DreamLayerDbContext>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = Path.Combine(_directory, name + ".db"), Pooling = false }.ToString())
            .UseInternalServiceProvider(services)
            .LogTo(compiled.Enqueue, [CoreEventId.QueryCompilationStarting])
            .Options;
        var factory = new TestContextFactory(options);
        using (var db = factory.CreateDbContext())
        {
            db.Database.Migrate();
        }
        compiled.Clear();
        return (new JobStore(factory), compiled);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
