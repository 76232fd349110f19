using System.Diagnostics;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Features.Gallery;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace DreamLayer.Web.Tests.Images;

/// <summary>Thumbnails of new images are made in the background, after the jobs go quiet, and never twice.</summary>
public sealed class ThumbnailQueueTests : IDisposable
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    private readonly GalleryDatabase _db = new();

    [Fact]
    public async Task A_thumbnail_waits_while_jobs_are_busy_and_is_made_once_they_are_quiet()
    {
        var image = await _db.AddAsync(GalleryDatabase.Alice, "a lighthouse");
        var thumbnail = _db.Store.ThumbnailPath(image.Id);
        File.Delete(thumbnail);
        using var queue = new ThumbnailQueue(_db.Store, NullLogger<ThumbnailQueue>.Instance, Quiet, TimeSpan.FromMinutes(5));
        await queue.StartAsync(default);

        queue.Enqueue(image);
        var busySince = Stopwatch.GetTimestamp();
        var lastActivity = busySince;
        while (Stopwatch.GetElapsedTime(busySince) < TimeSpan.FromSeconds(3))
        {
            // Made only after a quiet period: while the last activity is more recent than that, there is none yet.
            var made = File.Exists(thumbnail);
            if (Stopwatch.GetElapsedTime(lastActivity) < Quiet)
            {
                Assert.False(made, "The thumbnail was made while jobs were still busy.");
            }
            queue.NoteActivity();
            lastActivity = Stopwatch.GetTimestamp();
            await Task.Delay(100);
        }
        Assert.Equal(1, queue.Pending);

        await DreamLayerApp.WaitUntilAsync(() => File.Exists(thumbnail), "the thumbnail once the jobs are quiet");
        await DreamLayerApp.WaitUntilAsync(() => queue.Pending == 0, "the queue to empty");
        await queue.StopAsync(default);
    }

    [Fact]
    public async Task Under_constant_load_a_thumbnail_is_made_after_the_longest_wait()
    {
        var image = await _db.AddAsync(GalleryDatabase.Alice, "a harbour");
        var thumbnail = _db.Store.ThumbnailPath(image.Id);
        File.Delete(thumbnail);
        using var queue = new ThumbnailQueue(_db.Store, NullLogger<ThumbnailQueue>.Instance, TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(500));
        await queue.StartAsync(default);

        queue.Enqueue(image);
        using var busy = new CancellationTokenSource();
        var load = Task.Run(async () =>
        {
            while (!busy.IsCancellationRequested)
            {
                queue.NoteActivity();
                await Task.Delay(20);
            }
        });

        await DreamLayerApp.WaitUntilAsync(() => File.Exists(thumbnail), "the thumbnail despite the load");
        await busy.CancelAsync();
        await load;
        await queue.StopAsync(default);
    }

    [Fact]
    public async Task A_thumbnail_a_page_already_asked_for_is_not_made_again()
    {
        var image = await _db.AddAsync(GalleryDatabase.Alice, "a forest");
        var thumbnail = _db.Store.ThumbnailPath(image.Id);
        File.Delete(thumbnail);
        Assert.Equal(thumbnail, await _db.Store.EnsureThumbnailAsync(image, default));
        var made = File.GetLastWriteTimeUtc(thumbnail);
        using var queue = new ThumbnailQueue(_db.Store, NullLogger<ThumbnailQueue>.Instance, TimeSpan.Zero, TimeSpan.Zero);
        await queue.StartAsync(default);

        queue.Enqueue(image);
        await DreamLayerApp.WaitUntilAsync(() => queue.Pending == 0, "the queue to empty");

        Assert.Equal(made, File.GetLastWriteTimeUtc(thumbnail));
        await queue.StopAsync(default);
    }

    public void Dispose() => _db.Dispose();
}
