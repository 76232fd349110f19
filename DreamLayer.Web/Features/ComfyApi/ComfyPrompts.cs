using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Features.ComfyApi;

/// <summary>
/// One prompt queued through the face: the job it became, the person and WebSocket session it belongs to, and what
/// ComfyUI's history and events say of it. <see cref="Key"/> is the prompt id the client knows (its own, or the job's).
/// </summary>
internal sealed class ComfyPrompt(string promptId, Guid jobId, string owner, string? clientId, JsonNode number, JsonObject graph, IReadOnlyList<string> outputs)
{
    public string PromptId { get; } = promptId;
    public Guid JobId { get; } = jobId;
    public string Owner { get; } = owner;
    public string? ClientId { get; } = clientId;

    /// <summary>The priority ComfyUI would have given it (echoed in answers; DreamLayer's fair queue decides the order).</summary>
    public JsonNode Number { get; } = number;
    public JsonObject Graph { get; } = graph;

    /// <summary>The graph's output nodes, in the order their images are kept.</summary>
    public IReadOnlyList<string> Outputs { get; } = outputs;

    public Lock Gate { get; } = new();

    // Guarded by Gate: what the events said so far.
    public bool Started { get; set; }

    /// <summary>The data of its <c>execution_start</c>, for the history's messages.</summary>
    public JsonObject? StartData { get; set; }
    public bool Ended { get; set; }
    public string? Node { get; set; }
    public (int Value, int Max) Step { get; set; }
    public JobStatus Status { get; set; } = JobStatus.Queued;

    /// <summary>Set when it ended after it ran (ComfyUI keeps no history of a prompt deleted while pending).</summary>
    public JsonObject? History { get; set; }

    /// <summary>ComfyUI's queue item: <c>[number, prompt_id, graph, extra_data, outputs_to_execute]</c>.</summary>
    public JsonArray QueueItem() => new(Number.DeepClone(), PromptId, Graph.DeepClone(), ExtraData(), new JsonArray([.. Outputs.Select(o => JsonValue.Create(o))]));

    public JsonObject ExtraData() => ClientId is null ? [] : new JsonObject { ["client_id"] = ClientId };
}

/// <summary>
/// The prompts of the ComfyUI face, per person, and the WebSockets that follow them. Each prompt's job is followed
/// through <see cref="JobEvents"/> and its changes are told as ComfyUI's events (PROTOCOL.md §4.7) to the person's
/// sockets opened with the prompt's <c>client_id</c>; <c>status</c> goes to all of the person's sockets. Like ComfyUI's
/// own history this lives in memory: the newest <see cref="MaxPrompts"/> prompts, until the app restarts (their images
/// stay in the gallery).
/// </summary>
internal sealed class ComfyPrompts(JobEvents events, TimeProvider time)
{
    /// <summary>As ComfyUI's history: the oldest prompts are forgotten beyond this many.</summary>
    public const int MaxPrompts = 10_000;

    private readonly ConcurrentDictionary<(string Owner, string PromptId), ComfyPrompt> _byKey = new();
    private readonly ConcurrentDictionary<Guid, ComfyPrompt> _byJob = new();
    private readonly ConcurrentQueue<ComfyPrompt> _order = new();
    private readonly ConcurrentDictionary<ComfySocket, byte> _sockets = new();
    private readonly ConcurrentDictionary<Guid, IDisposable> _follows = new();
    private long _counter;

    /// <summary>The next number of ComfyUI's counter (the priority of a prompt sent without <c>number</c>).</summary>
    public long NextNumber() => Interlocked.Increment(ref _counter) - 1;

    public bool TryGet(string owner, string promptId, out ComfyPrompt prompt) => _byKey.TryGetValue((owner, promptId), out prompt!);

    /// <summary>The person's prompts, oldest first.</summary>
    public IReadOnlyList<ComfyPrompt> Of(string owner) =>
        [.. _order.Where(p => string.Equals(p.Owner, owner, StringComparison.Ordinal) && _byKey.TryGetValue((owner, p.PromptId), out var current) && current == p)];

    /// <summary>Whether <paramref name="jobId"/> is a prompt of <paramref name="owner"/> sent through the face.</summary>
    public bool IsPromptOf(string owner, Guid jobId) => _byJob.TryGetValue(jobId, out var p) && string.Equals(p.Owner, owner, StringComparison.Ordinal);

    /// <summary>ComfyUI's <c>queue_remaining</c>, for one person: their prompts waiting or running.</summary>
    public int Remaining(string owner) => _byJob.Values.Count(p => string.Equals(p.Owner, owner, StringComparison.Ordinal) && !p.Ended);

    /// <summary>Records a queued prompt, tells the person's sockets the queue grew, and follows its job.</summary>
    public void Add(ComfyPrompt prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        _byKey[(prompt.Owner, prompt.PromptId)] = prompt; // ComfyUI checks no uniqueness: a reused id names the newer prompt
        _byJob[prompt.JobId] = prompt;
        _order.Enqueue(prompt);
        while (_order.Count > MaxPrompts && _order.TryDequeue(out var old))
        {
            Forget(old);
        }
        Broadcast(prompt.Owner, Status(prompt.Owner, sid: null));
        var follow = events.SubscribeJob(prompt.JobId, e => OnJobEvent(prompt, e));
        if (!_follows.TryAdd(prompt.JobId, follow))
        {
            follow.Dispose();
        }
        if (events.TryGet(prompt.JobId, out var now))
        {
            OnJobEvent(prompt, new JobChanged(now)); // a change made before the subscription
        }
    }

    private void Forget(ComfyPrompt prompt)
    {
        _byKey.TryRemove(new KeyValuePair<(string, string), ComfyPrompt>((prompt.Owner, prompt.PromptId), prompt));
        _byJob.TryRemove(new KeyValuePair<Guid, ComfyPrompt>(prompt.JobId, prompt));
        if (_follows.TryRemove(prompt.JobId, out var follow))
        {
            follow.Dispose();
        }
    }

    public void Register(ComfySocket socket) => _sockets.TryAdd(socket, 0);

    public void Unregister(ComfySocket socket) => _sockets.TryRemove(socket, out _);

    /// <summary>ComfyUI's <c>status</c> message: the person's prompts left, with the session id on the first message of a socket.</summary>
    public JsonObject Status(string owner, string? sid)
    {
        var data = new JsonObject { ["status"] = new JsonObject { ["exec_info"] = new JsonObject { ["queue_remaining"] = Remaining(owner) } } };
        if (sid is not null)
        {
            data["sid"] = sid;
        }
        return Message("status", data);
    }

    private static JsonObject Message(string type, JsonObject data) => new() { ["type"] = type, ["data"] = data };

    private long Timestamp() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private void OnJobEvent(ComfyPrompt prompt, JobEvent e)
    {
        switch (e)
        {
            case PreviewAvailable:
                foreach (var socket in Recipients(prompt))
                {
                    socket.OfferPreview(prompt.JobId);
                }
                break;
            case JobChanged changed:
                lock (prompt.Gate)
                {
                    // Sent under the prompt's lock (queued only, never awaited), so two changes reach a socket in their order.
                    Send(prompt, Translate(prompt, changed.Job));
                }
                break;
        }
    }

    /// <summary>
    /// The ComfyUI messages that say what changed since the prompt's last known state, in ComfyUI's order:
    /// <c>execution_start</c> and <c>execution_cached</c> when it starts, <c>executing</c> per node, <c>progress</c> per
    /// step, and at the end <c>executed</c> per output node with its images, <c>execution_success</c> (or
    /// <c>execution_error</c>, <c>execution_interrupted</c>), <c>status</c>, then <c>executing</c> with node null.
    /// </summary>
    private List<JsonObject> Translate(ComfyPrompt prompt, JobProgress job)
    {
        var messages = new List<JsonObject>();
        lock (prompt.Gate)
        {
            if (prompt.Ended)
            {
                return messages;
            }
            prompt.Status = job.Status;
            var id = prompt.PromptId;
            var ranOrEnded = job.Status is JobStatus.Running or JobStatus.Succeeded or JobStatus.Failed || (job.Status == JobStatus.Cancelled && prompt.Started);
            if (ranOrEnded && !prompt.Started)
            {
                prompt.Started = true;
                prompt.StartData = new JsonObject { ["prompt_id"] = id, ["timestamp"] = Timestamp() };
                messages.Add(Message("execution_start", (JsonObject)prompt.StartData.DeepClone()));
                messages.Add(Message("execution_cached", new JsonObject { ["nodes"] = new JsonArray(), ["prompt_id"] = id, ["timestamp"] = Timestamp() }));
            }
            if (job.Status == JobStatus.Running)
            {
                if (job.NodeId is { } node && node != prompt.Node)
                {
                    prompt.Node = node;
                    prompt.Step = (0, 0);
                    messages.Add(Message("executing", new JsonObject { ["node"] = node, ["display_node"] = node, ["prompt_id"] = id }));
                }
                if (job.StepMax > 0 && (job.StepValue, job.StepMax) != prompt.Step)
                {
                    prompt.Step = (job.StepValue, job.StepMax);
                    messages.Add(Message("progress", new JsonObject { ["value"] = job.StepValue, ["max"] = job.StepMax, ["prompt_id"] = id, ["node"] = prompt.Node }));
                }
                return messages;
            }
            if (!job.Status.IsTerminal())
            {
                return messages;
            }
            prompt.Ended = true;
            if (_follows.TryRemove(prompt.JobId, out var follow))
            {
                follow.Dispose();
            }
            if (!prompt.Started)
            {
                // Deleted while pending: ComfyUI says only that the queue shrank, and keeps no history of it.
                messages.Add(Status(prompt.Owner, sid: null));
                return messages;
            }
            var outputs = new JsonObject();
            if (job.Status == JobStatus.Succeeded)
            {
                foreach (var (node, images) in ImagesByNode(prompt, job))
                {
                    var output = new JsonObject { ["images"] = images };
                    outputs[node] = output;
                    messages.Add(Message("executed", new JsonObject { ["node"] = node, ["display_node"] = node, ["output"] = output.DeepClone(), ["prompt_id"] = id }));
                }
            }
            var end = job.Status switch
            {
                JobStatus.Succeeded => Message("execution_success", new JsonObject { ["prompt_id"] = id, ["timestamp"] = Timestamp() }),
                JobStatus.Failed => Message("execution_error", new JsonObject
                {
                    ["prompt_id"] = id,
                    ["node_id"] = prompt.Node,
                    ["node_type"] = prompt.Node is { } failed && prompt.Graph[failed]?["class_type"] is JsonValue type ? type.DeepClone() : null,
                    ["executed"] = new JsonArray(),
                    ["exception_message"] = job.Message ?? "The job failed.",
                    ["exception_type"] = "Exception",
                    ["traceback"] = new JsonArray(),
                    ["current_inputs"] = new JsonObject(),
                    ["current_outputs"] = new JsonArray(),
                    ["timestamp"] = Timestamp(),
                }),
                _ => Message("execution_interrupted", new JsonObject
                {
                    ["prompt_id"] = id,
                    ["node_id"] = prompt.Node,
                    ["node_type"] = prompt.Node is { } stopped && prompt.Graph[stopped]?["class_type"] is JsonValue type ? type.DeepClone() : null,
                    ["executed"] = new JsonArray(),
                    ["timestamp"] = Timestamp(),
                }),
            };
            messages.Add(end);
            prompt.History = new JsonObject
            {
                ["prompt"] = prompt.QueueItem(),
                ["outputs"] = outputs,
                ["status"] = new JsonObject
                {
                    ["status_str"] = job.Status == JobStatus.Succeeded ? "success" : "error",
                    ["completed"] = job.Status == JobStatus.Succeeded,
                    ["messages"] = new JsonArray(new JsonArray("execution_start", prompt.StartData?.DeepClone()),
                        new JsonArray((string?)end["type"], end["data"]!.DeepClone())),
                },
                ["meta"] = new JsonObject(outputs.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)new JsonObject
                {
                    ["node_id"] = o.Key,
                    ["display_node"] = o.Key,
                    ["parent_node"] = null,
                    ["real_node_id"] = o.Key,
                }))),
            };
            // The history is written before the queue shrinks and before `executing` null, as ComfyUI does.
            messages.Add(Status(prompt.Owner, sid: null));
            messages.Add(Message("executing", new JsonObject { ["node"] = null, ["prompt_id"] = id }));
        }
        return messages;
    }

    /// <summary>The images of a finished job by the output node that made them, as <c>/view</c> finds them.</summary>
    private static IEnumerable<(string Node, JsonArray Images)> ImagesByNode(ComfyPrompt prompt, JobProgress job)
    {
        var nodes = job.ImageNodes.Count == job.ImageIds.Count ? job.ImageNodes : [.. job.ImageIds.Select(_ => prompt.Outputs.Count > 0 ? prompt.Outputs[0] : string.Empty)];
        return job.ImageIds.Select((image, i) => (Node: nodes[i], Image: image))
            .GroupBy(x => x.Node, StringComparer.Ordinal)
            .Select(g => (g.Key, new JsonArray([.. g.Select(x => (JsonNode)ImageRef(x.Image))])));
    }

    /// <summary>An image of the gallery as ComfyUI names an output file: <c>{filename, subfolder, type}</c>.</summary>
    public static JsonObject ImageRef(Guid imageId) => new() { ["filename"] = FileName(imageId), ["subfolder"] = string.Empty, ["type"] = "output" };

    /// <summary>The file name an output image has on the face: its gallery id.</summary>
    public static string FileName(Guid imageId) => $"{imageId:D}.png";

    /// <summary>
    /// Who hears a prompt's events: the person's sockets opened with its <c>client_id</c>; without one, every socket of
    /// the person's (ComfyUI sends to every socket then; here, never to another person's).
    /// </summary>
    private IEnumerable<ComfySocket> Recipients(ComfyPrompt prompt) =>
        _sockets.Keys.Where(s => string.Equals(s.Owner, prompt.Owner, StringComparison.Ordinal)
            && (prompt.ClientId is null || string.Equals(s.Sid, prompt.ClientId, StringComparison.Ordinal)));

    /// <summary>
    /// The events ComfyUI still sends for a prompt queued without <c>client_id</c> (PROTOCOL.md §4.5); the others
    /// (<c>execution_start</c>, <c>executing</c>, <c>executed</c>, <c>execution_success</c>, …) it does not send at all.
    /// </summary>
    private static bool SentWithoutClientId(string? type) => type is "progress" or "progress_state" or "execution_interrupted";

    private void Send(ComfyPrompt prompt, List<JsonObject> messages)
    {
        foreach (var message in messages)
        {
            var type = (string?)message["type"];
            if (type == "status")
            {
                Broadcast(prompt.Owner, message);
            }
            else if (prompt.ClientId is not null || SentWithoutClientId(type))
            {
                foreach (var socket in Recipients(prompt))
                {
                    socket.Send(message);
                }
            }
        }
    }

    private void Broadcast(string owner, JsonObject message)
    {
        foreach (var socket in _sockets.Keys.Where(s => string.Equals(s.Owner, owner, StringComparison.Ordinal)))
        {
            socket.Send(message);
        }
    }
}
