using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Data;

public static class DataExtensions
{
    private static readonly SqlitePragmas Interceptor = new();

    public static IHostApplicationBuilder AddDreamLayerData(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => StoragePaths.Resolve(sp.GetRequiredService<IOptions<StorageOptions>>().Value, builder.Environment.ContentRootPath));
        builder.Services.AddPooledDbContextFactory<DreamLayerDbContext>((sp, options) =>
        {
            var paths = sp.GetRequiredService<StoragePaths>();
            var connection = new SqliteConnectionStringBuilder { DataSource = paths.DatabasePath, Pooling = true }.ToString();
            options.UseSqlite(connection).AddInterceptors(Interceptor);
        });
        builder.Services.AddSingleton<JobStore>();
        builder.Services.AddHostedService<DatabaseMigrator>();
        return builder;
    }
}

/// <summary>Applies committed migrations before anything else starts (hosted services start in order).</summary>
internal sealed class DatabaseMigrator(IDbContextFactory<DreamLayerDbContext> factory, JobStore jobs, StoragePaths paths, ILogger<DatabaseMigrator> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(paths.DatabasePath)!);
        Directory.CreateDirectory(paths.ImagesDirectory);
        Directory.CreateDirectory(paths.ThumbnailsDirectory);
        Directory.CreateDirectory(paths.UploadsDirectory);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        // Migrate() checks the model against the migrations' snapshot, which builds both models in full: done only when
        // there is something to apply, so that an ordinary restart stays light.
        if ((await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            await db.Database.MigrateAsync(cancellationToken);
        }
        // WAL: readers never block the writer, and commits are cheap.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await jobs.WarmUpAsync(cancellationToken);
        logger.LogInformation("Database ready at {DatabasePath}; images under {ImagesDirectory}", paths.DatabasePath, paths.ImagesDirectory);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
