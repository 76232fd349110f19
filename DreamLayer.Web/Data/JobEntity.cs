using DreamLayer.Domain.Jobs;

namespace DreamLayer.Web.Data;

/// <summary>One run on a server: a row is written before anything is sent.</summary>
public sealed class JobEntity
{
    public Guid Id { get; set; }

    /// <summary>Jobs queued together by one press of Generate (batch count).</summary>
    public Guid BatchId { get; set; }
    public int BatchIndex { get; set; }
    /// <summary>The id of the user who submitted it (<c>AspNetUsers.Id</c>).</summary>
    public string Owner { get; set; } = string.Empty;
    public string Mode { get; set; } = string.Empty;
    public JobStatus Status { get; set; }
    public string? StatusMessage { get; set; }

    /// <summary>The whole <c>GenerationRequest</c> as JSON, for exact reuse.</summary>
    public string RequestJson { get; set; } = "{}";
    public string Prompt { get; set; } = string.Empty;
    public string NegativePrompt { get; set; } = string.Empty;
    public string Checkpoint { get; set; } = string.Empty;
    public string Sampler { get; set; } = string.Empty;
    public string Scheduler { get; set; } = string.Empty;
    public int Steps { get; set; }
    public double Cfg { get; set; }
    public int Width { get; set; }
    public int Height { get; set; }
    public int BatchSize { get; set; }
    public ulong Seed { get; set; }

    /// <summary>The stored upload the job works on (upscale), sent to the server before the prompt.</summary>
    public Guid? SourceImage { get; set; }

    public string? Backend { get; set; }
    public string? PromptId { get; set; }
    public string? GraphJson { get; set; }
    public int Attempts { get; set; }

    /// <summary>How often the job was running on a server that went away (it is started again elsewhere while retries remain).</summary>
    public int LostRuns { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }

    /// <summary>Time from queued to the server starting it.</summary>
    public double? QueueWaitMs { get; set; }
    public double? ExecutionMs { get; set; }
    public double? StepsPerSecond { get; set; }

    /// <summary>Per-node wall time in ms as a JSON object <c>{"3": 1234.5, ...}</c>.</summary>
    public string? NodeTimingsJson { get; set; }

    /// <summary>The app's own time from submit to <c>POST /prompt</c> being sent.</summary>
    public double? SubmitOverheadMs { get; set; }

    /// <summary>The app's own time from the final WebSocket event to the images saved, indexed and published.</summary>
    public double? CompletionOverheadMs { get; set; }

    /// <summary>
    /// A cloud job's cost in US dollars: the estimate at the prices in force when it was queued, corrected when it ends
    /// (zero when it was never sent). Null for jobs that cost nothing (ComfyUI). Read by the budgets and the Usage page.
    /// </summary>
    public decimal? CostUsd { get; set; }

    /// <summary>The cloud provider that ran it (<c>OpenAi</c>, <c>Ideogram</c>, <c>Bfl</c>); null for a ComfyUI job.</summary>
    public string? CloudProvider { get; set; }

    /// <summary>
    /// An accepted asynchronous cloud task (BFL's id and polling address), stored before any waiting: after a restart the
    /// task is followed again with it, never sent again.
    /// </summary>
    public string? CloudTaskJson { get; set; }

    /// <summary>The provider's id for the request (BFL's task id, OpenAI's <c>x-request-id</c> where known).</summary>
    public string? CloudRequestId { get; set; }

    /// <summary>What the provider reported it charged, in <see cref="CloudCostUnit"/>.</summary>
    public decimal? CloudCost { get; set; }

    /// <summary>The provider's unit: OpenAI's tokens, BFL's credits (1 credit = 1 US cent).</summary>
    public string? CloudCostUnit { get; set; }

    public List<ImageEntity> Images { get; set; } = [];
}
