namespace DreamLayer.Web.Components.Shared;

/// <summary>
/// Coalesces render requests from background events: at most one render is pending and renders are at
/// least <c>interval</c> apart, so a flood of progress or preview events never queues work without bound.
/// </summary>
public sealed class RenderThrottle(Func<Func<Task>, Task> invokeAsync, Action render, Func<Exception, Task> dispatchException, TimeSpan interval)
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
            if (since < interval)
            {
                await Task.Delay(interval - since);
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
