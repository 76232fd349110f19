using System.Diagnostics;
using System.Threading.Channels;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Images;

/// <summary>
/// Makes the thumbnails of newly saved images in the background, when the job pipeline has been quiet for
/// <see cref="QuietPeriod"/>, so that decoding and resizing a finished image never slows the jobs still
/// running; an image that has waited <see cref="MaxDelay"/> is done regardless. A page that asks for a thumbnail
/// before then gets it made on the spot (<see cref="ImageStore.EnsureThumbnailAsync"/>), and one already made is
/// not made again. Only ids wait here: each image is read back from disk when its turn comes.
/// </summary>
public sealed partial class ThumbnailQueue(ImageStore store, ILogger<ThumbnailQueue> logger, TimeSpan quietPeriod, TimeSpan maxDelay) : BackgroundService
{
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly Channel<(ImageEntity Image, long Queued)> _images = Channel.CreateUnbounded<(ImageEntity, long)>(new UnboundedChannelOptions { SingleReader = true });
    private long _lastActivity = Stopwatch.GetTimestamp();
    private int _pending;
    private readonly Lock _madeLock = new();
    private int _madeCount;
    private TimeSpan _madeTime;

    public ThumbnailQueue(ImageStore store, ILogger<ThumbnailQueue> logger)
        : this(store, logger, QuietPeriod, MaxDelay)
    {
    }

    /// <summary>Images waiting for their thumbnail.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>Thumbnails made here so far, and the time spent making them.</summary>
    public (int Count, TimeSpan Time) Made
    {
        get
        {
            lock (_madeLock)
            {
                return (_madeCount, _madeTime);
            }
        }
    }

    public void Enqueue(ImageEntity image)
    {
        ArgumentNullException.ThrowIfNull(image);
        NoteActivity();
        Interlocked.Increment(ref _pending);
        _images.Writer.TryWrite((image, Stopwatch.GetTimestamp()));
    }

    /// <summary>Job work is going on (a job sent, a result being collected): thumbnails wait for a quiet moment.</summary>
    public void NoteActivity() => Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (image, queued) in _images.Reader.ReadAllAsync(stoppingToken))
            {
                while (Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity)) is var quiet && quiet < quietPeriod
                       && Stopwatch.GetElapsedTime(queued) is var waited && waited < maxDelay)
                {
                    var untilQuiet = quietPeriod - quiet;
                    var untilDue = maxDelay - waited;
                    await Task.Delay((untilQuiet < untilDue ? untilQuiet : untilDue) + TimeSpan.FromMilliseconds(1), stoppingToken);
                }
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    await store.EnsureThumbnailAsync(image, stoppingToken);
                    lock (_madeLock)
                    {
                        _madeCount++;
                        _madeTime += Stopwatch.GetElapsedTime(started);
                    }
                }
#pragma warning disable CA1031 // one image that cannot be thumbnailed (gone, damaged, a bug) must not stop the others
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    LogThumbnailFailed(image.Id, ex.Message); // the thumbnail endpoint tries again when it is asked for
                }
                finally
                {
                    Interlocked.Decrement(ref _pending);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: images without a thumbnail get one when first shown.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not make the thumbnail of image {ImageId}: {Reason}")]
    private partial void LogThumbnailFailed(Guid imageId, string reason);
}
