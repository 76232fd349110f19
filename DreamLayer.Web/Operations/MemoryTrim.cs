using System.Diagnostics;
using System.Runtime.InteropServices;

namespace DreamLayer.Web.Operations;

/// <summary>
/// Gives memory that one-off work left behind back to the operating system once the app is quiet: a compacting
/// collection that returns the garbage collector's free space, then glibc's <c>malloc_trim</c> for the native heap.
/// Start-up (migrations, the warm-ups, the node catalogue) leaves the most, and is trimmed <see cref="AfterStartUp"/>
/// after it ends; a burst of jobs is trimmed once the pipeline has been quiet for <see cref="AfterJobs"/>, so that
/// no collection pauses a run of jobs. Nothing is trimmed while nothing happened since the last time.
/// </summary>
public sealed partial class MemoryTrim(ILogger<MemoryTrim> logger, TimeSpan afterStartUp, TimeSpan afterJobs) : BackgroundService
{
    public static readonly TimeSpan AfterStartUp = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan AfterJobs = TimeSpan.FromSeconds(30);

    private const long NothingDue = long.MaxValue;
    private long _dueAt = NothingDue;
    private readonly SemaphoreSlim _scheduled = new(0, 1);
    private int _trims;

    public MemoryTrim(ILogger<MemoryTrim> logger)
        : this(logger, AfterStartUp, AfterJobs)
    {
    }

    /// <summary>How many times memory was given back.</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>A piece of start-up work ended (the warm-ups, the first server's catalogue).</summary>
    public void StartUpWorkDone() => TrimIn(afterStartUp);

    /// <summary>A job ended: trim when none has ended for a while.</summary>
    public void JobDone() => TrimIn(afterJobs);

    /// <summary>The last image decode gave its memory back (an upload, a thumbnail): trim soon, unless jobs keep going.</summary>
    public void ImageWorkDone() => TrimIn(afterStartUp);

    /// <summary>The latest call sets the time; the worker wakes only when there is something to wait for.</summary>
    private void TrimIn(TimeSpan delay)
    {
        Interlocked.Exchange(ref _dueAt, Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency));
        try
        {
            _scheduled.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already woken: it reads the new time before it trims.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                await _scheduled.WaitAsync(stoppingToken);
                long due;
                while ((due = Interlocked.Read(ref _dueAt)) != NothingDue && Stopwatch.GetTimestamp() < due)
                {
                    await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) + TimeSpan.FromMilliseconds(1), stoppingToken);
                }
                // Postponed meanwhile: the release that postponed it wakes this loop again.
                if (due != NothingDue && Interlocked.CompareExchange(ref _dueAt, NothingDue, due) == due)
                {
                    TrimSafely();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _scheduled.Dispose();
        base.Dispose();
    }

    /// <summary>A trim that fails is logged; the next quiet moment tries again.</summary>
    private void TrimSafely()
    {
        try
        {
            Trim();
        }
#pragma warning disable CA1031 // giving memory back is a nicety: it must never end the loop
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogTrimFailed(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not give memory back")]
    private partial void LogTrimFailed(Exception ex);

    private void Trim()
    {
        var before = Environment.WorkingSet;
        // ImageSharp's pool keeps buffers of the images decoded last; hand them to the collection below.
        SixLabors.ImageSharp.Configuration.Default.MemoryAllocator.ReleaseRetainedResources();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var native = OperatingSystem.IsLinux() && Native.TryTrim();
        Interlocked.Increment(ref _trims);
        LogTrimmed(before / (1024.0 * 1024), Environment.WorkingSet / (1024.0 * 1024), native);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Gave memory back while quiet: resident {Before:0} MB before, {After:0} MB after (native heap trimmed: {Native})")]
    private partial void LogTrimmed(double before, double after, bool native);

    private static class Native
    {
        /// <summary>glibc only: musl and other C libraries have no <c>malloc_trim</c>, and then only the collection is done.</summary>
        public static bool TryTrim()
        {
            try
            {
                _ = MallocTrim(0);
                return true;
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                return false;
            }
        }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for the one call that takes and returns plain integers
        [DllImport("libc", EntryPoint = "malloc_trim")]
        private static extern int MallocTrim(nuint pad);
#pragma warning restore SYSLIB1054
    }
}
