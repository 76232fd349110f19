using DreamLayer.Web.Comfy;

namespace DreamLayer.Web.Jobs;

/// <summary>
/// The job pipeline's side of a server's connection: the first catalogue warms the job path up, a (re)connect
/// reconciles the jobs sent there (and puts back in line the ones the server lost), every event goes to the tracker.
/// </summary>
public sealed class JobServerEvents(JobTracker tracker, JobQueue queue, PipelineWarmUp warmUp) : IServerEvents
{
    public Task CatalogueReadAsync(ComfyBackend backend, CancellationToken ct) => warmUp.RunAsync(backend, ct);

    public async Task ConnectedAsync(ComfyBackend backend, CancellationToken ct) =>
        await queue.ReturnLostAsync(await tracker.OnConnectedAsync(backend, ct), ct);

    public void Received(ComfyBackend backend, ComfyEvent evt) => tracker.Handle(backend, evt);

    public void Disconnected(ComfyBackend backend) => tracker.OnDisconnected(backend);
}
