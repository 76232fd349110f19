using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Security;

namespace DreamLayer.Web.Features.Workflows;

/// <summary>
/// What a run of a saved workflow is checked for before it is queued, wherever it comes from (the Run page, the API):
/// the graph as it will be sent (uploads stand in by name) against the first online server's live catalogue, so a
/// problem is reported at once rather than on a job card, and paid API nodes without the Comfy.org key, which would
/// only fail on the server. Nothing is checked while no server is online (the queue waits for one).
/// </summary>
public sealed class WorkflowRunChecks(BackendPool pool, ApiNodeKeys keys)
{
    /// <summary>The reasons the run would fail, in words; none when it may be queued.</summary>
    public async Task<IReadOnlyList<string>> CheckAsync(GenerationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Workflow is not { } spec || pool.Primary is not { IsOnline: true } primary)
        {
            return [];
        }
        var probe = WorkflowRun.Finish(spec, request.Seed ?? 0, spec.Images.Select(i => i.Upload).Distinct().ToDictionary(id => id, _ => "dreamlayer/probe.png"));
        var report = WorkflowCompatibility.Check(probe, primary.ObjectInfo, primary.Name);
        if (!report.CanRun)
        {
            return [.. report.Errors];
        }
        return await keys.ForAsync(probe, primary.ObjectInfo, ct) is ApiNodeKeyMissing missing ? [missing.Message] : [];
    }
}
