namespace DreamLayer.Web.Components.Shared;

/// <summary>
/// Coalesces render requests from background events: at most one render is pending and renders are at
/// least <c>interval</c> apart, so a flood of progress or preview events never queues work without bound.
/// With a <c>gather</c> time, a render waits at least that long after the request that started it, so that
/// events that come together (a step's progress, then its preview frame) make one render that shows them all.
/// </summary>
public sealed class RenderThrottle(Func<Func<Task>, Task> invokeAsync, Action render, Func<Exception, Task> dispatchException, TimeSpan interval, TimeSpan gather = default)
{
    private int _pending;
    private long _lastRender;

    public void Request()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }
        _ = RenderSoonAsync();
    }

    private async Task RenderSoonAsync()
    {
        try
        {
            var since = TimeSpan.FromTicks(Environment.TickCount64 * TimeSpan.TicksPerMillisecond - Interlocked.Read(ref _lastRender));
            var wait = interval - since > gather ? interval - since : gather;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            await invokeAsync(() =>
            {
                Volatile.Write(ref _pending, 0);
                Interlocked.Exchange(ref _lastRender, Environment.TickCount64 * TimeSpan.TicksPerMillisecond);
                render();
                return Task.CompletedTask;
            });
        }
        catch (ObjectDisposedException)
        {
            // The circuit closed; nothing to render to.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await dispatchException(ex);
        }
    }
}
