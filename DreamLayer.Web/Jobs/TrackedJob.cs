using System.Diagnostics;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;

namespace DreamLayer.Web.Jobs;

public enum JobOutcome
{
    Unknown,
    Success,
    Error,
    Interrupted,
}

/// <summary>
/// The in-memory state of one job while it is on a server: routing key, live progress and timings.
/// Guarded by <see cref="Gate"/>: WebSocket events, polling and cancellation touch it from different threads.
/// </summary>
public sealed class TrackedJob
{
    private int _completing;
    private bool _posted;
    private bool _cancelRequested;

    public TrackedJob(JobEntity job, ComfyBackend backend, string promptId, IReadOnlyList<string> outputNodes, int nodeCount)
    {
        Job = job;
        Backend = backend;
        PromptId = promptId;
        OutputNodes = outputNodes;
        NodeCount = nodeCount;
        LastEventTimestamp = Stopwatch.GetTimestamp();
    }

    public Lock Gate { get; } = new();

    /// <summary>The row as it was when sent; the request's fields for metadata come from here.</summary>
    public JobEntity Job { get; }
    public Guid JobId => Job.Id;
    public ComfyBackend Backend { get; }
    public string PromptId { get; set; }
    /// <summary>The nodes whose images are the job's result, in the order they are saved.</summary>
    public IReadOnlyList<string> OutputNodes { get; }
    public int NodeCount { get; }

    /// <summary>Node id → what to call it on screen (its title, else its class).</summary>
    public IReadOnlyDictionary<string, string> NodeTitles { get; init; } = new Dictionary<string, string>();

    /// <summary>True once <c>POST /prompt</c> has answered; before that, absence from the server's queue means nothing.</summary>
    public bool Posted
    {
        get { lock (Gate) { return _posted; } }
        init => _posted = value;
    }

    /// <summary>Cancel was pressed while the job was on this server (or on its way there).</summary>
    public bool CancelRequested
    {
        get { lock (Gate) { return _cancelRequested; } }
    }

    /// <summary>
    /// Records a cancel; true when the prompt is on the server (the caller stops it there), false while
    /// <c>POST /prompt</c> is in flight (the sender stops it once answered: <see cref="MarkPosted"/> tells it). One
    /// step under <see cref="Gate"/> with <see cref="MarkPosted"/>, so exactly one of the two sees the other.
    /// </summary>
    public bool RequestCancel()
    {
        lock (Gate)
        {
            _cancelRequested = true;
            return _posted;
        }
    }

    /// <summary><c>POST /prompt</c> answered; true when Cancel was pressed meanwhile (the sender stops it now).</summary>
    public bool MarkPosted()
    {
        lock (Gate)
        {
            _posted = true;
            return _cancelRequested;
        }
    }
    public long SubmittedTimestamp { get; init; }

    /// <summary>The app's own time from submit to <c>POST /prompt</c>; saved with the outcome.</summary>
    public double? SubmitOverheadMs { get; set; }
    public long LastEventTimestamp { get; set; }

    public JobStatus Status { get; set; } = JobStatus.Submitted;
    public DateTime? StartedAt { get; set; }
    public string? CurrentNode { get; set; }
    public long CurrentNodeStarted { get; set; }
    public Dictionary<string, double> NodeMilliseconds { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, int> NodeSteps { get; } = new(StringComparer.Ordinal);
    public HashSet<string> FinishedNodes { get; } = new(StringComparer.Ordinal);
    public int StepValue { get; set; }
    public int StepMax { get; set; }
    /// <summary>Files the output nodes reported (<c>executed</c>), with the node that wrote each.</summary>
    public List<(string Node, ComfyImageRef Image)> Images { get; } = [];

    /// <summary>The output node of each image kept, in the order they are stored (set by completion before the job ends).</summary>
    public IReadOnlyList<string> ImageNodes { get; set; } = [];

    /// <summary>
    /// The output nodes that are <c>SaveImageWebsocket</c>: ComfyUI writes no file and keeps nothing in its history for
    /// them; each image comes once, as a binary frame to our socket while the node runs.
    /// </summary>
    public IReadOnlySet<string> SocketOutputNodes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The images those nodes sent, per node, in the order they came.</summary>
    public Dictionary<string, List<ReadOnlyMemory<byte>>> SocketImages { get; } = new(StringComparer.Ordinal);

    /// <summary>Socket output nodes seen from their <c>executing</c> to the next one on one connection: every frame arrived.</summary>
    public HashSet<string> SocketNodesComplete { get; } = new(StringComparer.Ordinal);

    /// <summary>The socket output node executing now, whose frames are the job's images.</summary>
    public string? SocketNodeRunning { get; set; }

    /// <summary>The connection to the server dropped while the job was there and it may have run meanwhile: frames may be lost.</summary>
    public bool MissedFrames { get; set; }

    /// <summary>Why an image a socket output node sent could not be kept, if one could not.</summary>
    public string? SocketImageProblem { get; set; }

    /// <summary>
    /// Why the images of the socket output nodes are not all there (call under <see cref="Gate"/>), or null: a node
    /// that ran while the connection was down sent its images to nobody, and ComfyUI keeps no copy.
    /// </summary>
    public string? LostSocketImages()
    {
        if (SocketImageProblem is not null)
        {
            return SocketImageProblem;
        }
        var lost = SocketOutputNodes.Where(n => !SocketNodesComplete.Contains(n)).ToList();
        if (lost.Count == 0 || !MissedFrames)
        {
            return null;
        }
        var names = string.Join(", ", lost.Select(n => NodeTitles.TryGetValue(n, out var title) && title != n ? $"{title} (#{n})" : $"#{n}"));
        return $"The connection to {Backend.Name} dropped while the job ran, so the images of {names} were lost: a SaveImageWebsocket node " +
            "sends its images only over that connection, and ComfyUI writes no file for it and keeps nothing in its history. Run the job again.";
    }
    public JobOutcome Outcome { get; set; }
    public string? Error { get; set; }

    /// <summary>Claims the one completion this job gets; false if another path already claimed it.</summary>
    public bool TryBeginCompletion() => Interlocked.Exchange(ref _completing, 1) == 0;

    /// <summary>Its end has been seen (and its images are being collected), or it was taken off its server.</summary>
    public bool IsCompleting => Volatile.Read(ref _completing) == 1;

    /// <summary>Closes the running node's timing (call under <see cref="Gate"/>).</summary>
    public void EndCurrentNode(long now)
    {
        if (CurrentNode is { } node)
        {
            NodeMilliseconds[node] = NodeMilliseconds.GetValueOrDefault(node) + Stopwatch.GetElapsedTime(CurrentNodeStarted, now).TotalMilliseconds;
            FinishedNodes.Add(node);
            CurrentNode = null;
        }
    }

    public double? StepsPerSecond()
    {
        double steps = 0, ms = 0;
        foreach (var (node, count) in NodeSteps)
        {
            if (NodeMilliseconds.TryGetValue(node, out var t) && t > 0)
            {
                steps += count;
                ms += t;
            }
        }
        return ms > 0 ? steps / (ms / 1000.0) : null;
    }
}
