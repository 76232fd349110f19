using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Jobs;

internal static class JobProgressMapping
{
    public static JobProgress ToProgress(this JobEntity job, IReadOnlyList<Guid>? imageIds = null) => new()
    {
        JobId = job.Id,
        BatchId = job.BatchId,
        Status = job.Status,
        Prompt = job.Prompt,
        Checkpoint = job.Checkpoint,
        Seed = job.Seed,
        Width = job.Width,
        Height = job.Height,
        CreatedAt = job.CreatedAt,
        Message = job.StatusMessage,
        Backend = job.Backend,
        ImageIds = imageIds ?? job.Images.OrderBy(i => i.Index).Select(i => i.Id).ToList(),
        Summary = job.Mode switch
        {
            nameof(GenerationMode.Upscale) => StoredRequest.Read(job.RequestJson) is StoredRequestRead read ? UpscaleText.Summary(read.Request) : "Upscale",
            nameof(GenerationMode.Workflow) => WorkflowSummary(job),
            _ => null,
        },
        Mode = Enum.TryParse<GenerationMode>(job.Mode, out var mode) ? mode : GenerationMode.Txt2Img,
        Owner = job.Owner,
        Cloud = job.CloudProvider is not null,
    };

    /// <summary>What the metrics call the job's model: its checkpoint, or its mode when it has none (upscale).</summary>
    public static string ModelName(this JobEntity job) => job.Checkpoint.Length > 0 ? job.Checkpoint : job.Mode;

    /// <summary>"Portrait workflow: a lighthouse at dusk" (the workflow's name, then its prompt when it has one).</summary>
    private static string WorkflowSummary(JobEntity job)
    {
        var name = (StoredRequest.Read(job.RequestJson) as StoredRequestRead)?.Request.Workflow?.Name ?? "Workflow";
        return string.IsNullOrWhiteSpace(job.Prompt) ? name : $"{name}: {job.Prompt}";
    }
}
