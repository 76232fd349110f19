using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.OpenAi;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Processing;

namespace DreamLayer.Web.Features.Img2Txt;

/// <summary>One way to describe a picture the page offers: OpenAI's vision model, or one server's captioning node.</summary>
public sealed record Describer(string Id, string Label, string Detail, bool TakesInstructions);

public abstract record DescribeResult;

/// <summary>The description, and who wrote it (for the page to say).</summary>
public sealed record Described(string Text, string By) : DescribeResult;

public sealed record DescribeFailed(string Message) : DescribeResult;

/// <summary>
/// Img2Txt: describes an uploaded picture as a prompt, with OpenAI's vision model (the team's stored key) or with a
/// ComfyUI server's captioning node (<see cref="CaptionGraph"/>, decision 0034). A caption runs on the server as a
/// small prompt of its own, like the control map preview: not a job, so it is neither queued nor counted against a
/// person's cap, and nothing of it is stored. An OpenAI description is billed to the team's OpenAI account by tokens;
/// the team budgets count only cloud pictures, not descriptions.
/// </summary>
public sealed class ImageDescriptions(BackendPool pool, UploadStore uploads, CloudBackends cloud, OpenAiDescriber openAi, TimeProvider time)
{
    public const string OpenAiId = "openai";
    private const string ComfyPrefix = "comfy:";

    /// <summary>The longest instructions taken (a sentence or a paragraph; a longer text is refused, not cut).</summary>
    public const int MaxInstructions = 2000;

    /// <summary>The longest side of the picture sent to OpenAI (its vision models scale larger ones down anyway).</summary>
    private const int MaxSide = 2048;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(5);

    /// <summary>The describers available now: OpenAI when the team has its key, then each online server's captioners.</summary>
    public async Task<IReadOnlyList<Describer>> ChoicesAsync(CancellationToken ct)
    {
        var choices = new List<Describer>();
        if (await cloud.KeyAsync(CloudProviderId.OpenAi, ct) is not null)
        {
            choices.Add(new Describer(OpenAiId, $"OpenAI ({openAi.Model})", "Billed to the team's OpenAI account by tokens.", TakesInstructions: true));
        }
        foreach (var backend in pool.Backends.Where(b => b.IsOnline))
        {
            foreach (var captioner in CaptionGraph.Find(backend.ObjectInfo))
            {
                choices.Add(new Describer($"{ComfyPrefix}{backend.Name}\n{captioner.ClassType}", $"{captioner.DisplayName} on {backend.Name}",
                    "A captioning node of this ComfyUI server.", captioner.InstructionsInput is not null));
            }
        }
        return choices;
    }

    /// <summary>Describes the stored upload <paramref name="upload"/> with the describer <paramref name="describerId"/>.</summary>
    public async Task<DescribeResult> DescribeAsync(string describerId, Guid upload, string? instructions, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(describerId);
        if (instructions is { Length: > MaxInstructions })
        {
            return new DescribeFailed($"The instructions are {instructions.Length:N0} characters long; at most {MaxInstructions:N0} are taken.");
        }
        if (uploads.Locate(upload) is not { } path)
        {
            return new DescribeFailed("The picture is no longer stored; choose it again.");
        }
        if (describerId == OpenAiId)
        {
            return await DescribeWithOpenAiAsync(path, instructions, ct);
        }
        if (describerId.StartsWith(ComfyPrefix, StringComparison.Ordinal) && describerId[ComfyPrefix.Length..].Split('\n') is [var server, var node])
        {
            return await CaptionAsync(server, node, upload, path, instructions, ct);
        }
        return new DescribeFailed("That describer is not offered; choose another.");
    }

    private async Task<DescribeResult> DescribeWithOpenAiAsync(string path, string? instructions, CancellationToken ct)
    {
        if (await cloud.KeyAsync(CloudProviderId.OpenAi, ct) is not { } key)
        {
            return new DescribeFailed("OpenAI has no key any more; an admin adds one under Keys.");
        }
        byte[] jpeg;
        try
        {
            jpeg = await ShrunkJpegAsync(path, ct);
        }
        catch (InvalidDataException ex)
        {
            return new DescribeFailed(ex.Message);
        }
        try
        {
            var description = await openAi.DescribeAsync(jpeg, "image/jpeg", instructions, key, ct);
            return new Described(description.Text, $"OpenAI {description.Model}");
        }
        catch (CloudProviderException ex)
        {
            return new DescribeFailed(ex.Message);
        }
        catch (CloudCancelledException ex)
        {
            return new DescribeFailed(ex.Message);
        }
    }

    /// <summary>The stored picture as a JPEG no larger than <see cref="MaxSide"/> on its longest side.</summary>
    private async Task<byte[]> ShrunkJpegAsync(string path, CancellationToken ct)
    {
        using var decoded = await uploads.DecodeStoredAsync(path, rgba: false, ct);
        var image = decoded.Image;
        if (Math.Max(image.Width, image.Height) > MaxSide)
        {
            image.Mutate(p => p.Resize(new ResizeOptions { Mode = ResizeMode.Max, Size = new Size(MaxSide, MaxSide) }));
        }
        using var stream = new MemoryStream();
        await image.SaveAsJpegAsync(stream, new JpegEncoder { Quality = 90 }, ct);
        return stream.ToArray();
    }

    /// <summary>Uploads the picture to <paramref name="server"/>, runs LoadImage → <paramref name="node"/> there, and reads the node's text from the history.</summary>
    private async Task<DescribeResult> CaptionAsync(string server, string node, Guid upload, string path, string? instructions, CancellationToken ct)
    {
        if (pool.Backends.FirstOrDefault(b => b.Name == server) is not { IsOnline: true } backend)
        {
            return new DescribeFailed($"{server} is not connected now; choose another describer or try again later.");
        }
        if (!backend.ObjectInfo.TryGetNode(node, out var definition) || !CaptionGraph.IsCaptioner(definition))
        {
            return new DescribeFailed($"{server} no longer has the captioning node {node}.");
        }
        var client = pool.ClientFor(backend);
        var promptId = Guid.NewGuid().ToString();
        try
        {
            ComfyUploadResult uploaded;
            await using (var file = File.OpenRead(path))
            {
                uploaded = await client.UploadImageAsync(file, ServerInputs.UploadName(upload), $"dreamlayer/caption-{promptId}", ct);
            }
            if (uploaded is not ComfyUploaded stored)
            {
                return new DescribeFailed(((ComfyUploadFailed)uploaded).Message);
            }
            var graph = CaptionGraph.Build(definition, stored.GraphValue, instructions);
            var validation = PromptValidator.Validate(graph, backend.ObjectInfo);
            if (!validation.IsValid)
            {
                return new DescribeFailed(ValidationText.Describe(validation, backend.ObjectInfo, graph));
            }
            // A client id of its own: the events of this prompt are nobody's job.
            switch (await client.QueuePromptAsync(graph, Guid.NewGuid().ToString("N"), promptId, ComfyUiClient.WorkflowExtraData(graph, backend.ObjectInfo), ct))
            {
                case PromptRejected rejected:
                    return new DescribeFailed(ValidationText.Describe(rejected.Validation, backend.ObjectInfo, graph));
                case ServerUnavailable down:
                    return new DescribeFailed(down.Message);
            }
            return await WaitForTextAsync(client, backend.Name, string.IsNullOrEmpty(definition.DisplayName) ? node : definition.DisplayName, promptId, ct);
        }
        catch (Exception ex) when (ComfyUiClient.Unanswered(ex, ct))
        {
            return new DescribeFailed($"Could not reach {server}: {ex.Message}");
        }
    }

    private async Task<DescribeResult> WaitForTextAsync(ComfyUiClient client, string server, string node, string promptId, CancellationToken ct)
    {
        var deadline = time.GetUtcNow() + MaxWait;
        while (time.GetUtcNow() < deadline)
        {
            if (await client.GetHistoryAsync(promptId, ct) is { } entry)
            {
                if (!entry.Succeeded)
                {
                    return new DescribeFailed(entry.ErrorMessage ?? $"{server} could not run {node}.");
                }
                return CaptionGraph.ReadText(entry.Texts?.GetValueOrDefault(CaptionGraph.CaptionNode)) is { } text
                    ? new Described(text, $"{node} on {server}")
                    : new DescribeFailed($"{server} ran {node} but it returned no text (for a tagger: no tag passed its threshold).");
            }
            await Task.Delay(PollInterval, time, ct);
        }
        await client.DeleteFromQueueAsync(promptId, ct);
        return new DescribeFailed($"{server} did not describe the picture within 5 minutes.");
    }
}
