using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.Generation;

public abstract record ControlMapResult;

/// <summary>The control map the server made, as a PNG/JPEG data URL for an <c>img</c>.</summary>
public sealed record ControlMapReady(string DataUrl) : ControlMapResult;

public sealed record ControlMapFailed(string Message) : ControlMapResult;

/// <summary>
/// Shows what a ControlNet preprocessor makes of a picture before anything is generated: uploads the picture to the
/// server the page reads its lists from, runs LoadImage → preprocessor → PreviewImage there as a small prompt of its
/// own (not a job: nothing is stored), and fetches the result.
/// </summary>
public sealed class ControlMapPreview(BackendPool pool, UploadStore uploads, TimeProvider time)
{
    private const long MaxPreviewBytes = 32L * 1024 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    public async Task<ControlMapResult> RunAsync(Guid image, string preprocessor, IReadOnlyDictionary<string, JsonNode?> settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (pool.Primary is not { IsOnline: true } backend)
        {
            return new ControlMapFailed("No ComfyUI server is connected, so the control map cannot be made now.");
        }
        string? problem = null;
        AdvancedValidator.ValidatePreprocessor("preview", "Preview", preprocessor, settings, backend.Limits?.Advanced, (_, m) => problem ??= m);
        if (problem is not null)
        {
            return new ControlMapFailed(problem);
        }
        if (uploads.Locate(image) is not { } path)
        {
            return new ControlMapFailed("The picture is no longer stored; upload it again.");
        }
        var client = pool.ClientFor(backend);
        var promptId = Guid.NewGuid().ToString();
        ComfyUploadResult uploaded;
        await using (var file = File.OpenRead(path))
        {
            uploaded = await client.UploadImageAsync(file, ServerInputs.UploadName(image), $"dreamlayer/preview-{promptId}", ct);
        }
        if (uploaded is not ComfyUploaded stored)
        {
            return new ControlMapFailed(((ComfyUploadFailed)uploaded).Message);
        }
        var graph = PreprocessorGraph.Build(stored.GraphValue, preprocessor, settings);
        var validation = PromptValidator.Validate(graph, backend.ObjectInfo);
        if (!validation.IsValid)
        {
            return new ControlMapFailed(ValidationText.Describe(validation, backend.ObjectInfo, graph));
        }
        // A client id of its own: the events of this prompt are nobody's job.
        switch (await client.QueuePromptAsync(graph, Guid.NewGuid().ToString("N"), promptId, ComfyUiClient.WorkflowExtraData(graph, backend.ObjectInfo), ct))
        {
            case PromptRejected rejected:
                return new ControlMapFailed(ValidationText.Describe(rejected.Validation, backend.ObjectInfo, graph));
            case ServerUnavailable down:
                return new ControlMapFailed(down.Message);
        }
        return await WaitForImageAsync(client, promptId, ct);
    }

    private async Task<ControlMapResult> WaitForImageAsync(ComfyUiClient client, string promptId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + MaxWait;
        try
        {
            while (time.GetUtcNow() < deadline)
            {
                if (await client.GetHistoryAsync(promptId, ct) is { } entry)
                {
                    if (!entry.Succeeded || !entry.Outputs.TryGetValue(PreprocessorGraph.OutputNode, out var images) || images.Count == 0)
                    {
                        return new ControlMapFailed(entry.ErrorMessage ?? "The server made no control map.");
                    }
                    byte[] bytes;
                    try
                    {
                        bytes = await client.GetImageAsync(images[0], MaxPreviewBytes, ct);
                    }
                    catch (InvalidDataException)
                    {
                        return new ControlMapFailed("The control map is too large to show.");
                    }
                    var type = bytes.AsSpan().StartsWith("\x89PNG"u8) ? "image/png" : "image/jpeg";
                    return new ControlMapReady($"data:{type};base64,{Convert.ToBase64String(bytes)}");
                }
                await Task.Delay(PollInterval, time, ct);
            }
            await client.DeleteFromQueueAsync(promptId, ct);
            return new ControlMapFailed("The server did not make the control map within 5 minutes.");
        }
        catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
        {
            return new ControlMapFailed($"Could not reach the server: {ex.Message}");
        }
    }
}
