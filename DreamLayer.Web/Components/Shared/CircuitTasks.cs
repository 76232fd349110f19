namespace DreamLayer.Web.Components.Shared;

/// <summary>
/// Work that a component starts from a background event (a job's progress, a server's state, a teammate's image) runs
/// without anyone awaiting it. Its failure must not vanish: it goes to the circuit's error handling
/// (<c>ComponentBase.DispatchExceptionAsync</c>: the nearest error boundary, else the circuit's own error UI and log).
/// </summary>
public static class CircuitTasks
{
    /// <summary>
    /// Lets <paramref name="task"/> run on; if it fails, its exception is handed to <paramref name="dispatchException"/>
    /// (pass the component's <c>DispatchExceptionAsync</c>). A circuit that has closed meanwhile has nothing left to tell.
    /// </summary>
    public static void Observe(this Task task, Func<Exception, Task> dispatchException)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(dispatchException);
        _ = ObserveAsync(task, dispatchException);
    }

    private static async Task ObserveAsync(Task task, Func<Exception, Task> dispatchException)
    {
        try
        {
            await task;
        }
        catch (ObjectDisposedException)
        {
            // The circuit closed: there is no page left to render to or to tell.
        }
#pragma warning disable CA1031 // every failure is handed on, none is dropped here
        catch (Exception ex)
#pragma warning restore CA1031
        {
            try
            {
                await dispatchException(ex);
            }
            catch (ObjectDisposedException)
            {
                // The circuit closed while the failure was being reported.
            }
        }
    }
}
