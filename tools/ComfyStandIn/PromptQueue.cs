using System.Text.Json.Nodes;

namespace ComfyStandIn;

/// <summary>One queued prompt: <c>[number, prompt_id, prompt, extra_data, outputs_to_execute]</c>.</summary>
internal sealed record QueueItem(double Number, JsonNode NumberNode, string PromptId, JsonObject Prompt, JsonObject ExtraData, IReadOnlyList<string> Outputs)
{
    public string? ClientId => ExtraData["client_id"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public JsonArray ToJson(bool withSensitive = true)
    {
        var extra = ExtraData.DeepClone().AsObject();
        if (!withSensitive)
        {
            extra.Remove("api_key_comfy_org");
            extra.Remove("auth_token_comfy_org");
        }
        return new JsonArray(NumberNode.DeepClone(), PromptId, Prompt.DeepClone(), extra, new JsonArray(Outputs.Select(o => (JsonNode?)o).ToArray()));
    }
}

/// <summary>The shared priority queue and history, as ComfyUI's <c>PromptQueue</c> keeps them in memory.</summary>
internal sealed class PromptQueue(SocketHub hub) : IDisposable
{
    private const int MaxHistory = 10000;
    private readonly Lock _lock = new();
    private readonly List<QueueItem> _pending = [];
    private readonly OrderedDictionary<string, JsonObject> _history = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _signal = new(0);
    private QueueItem? _running;

    public QueueItem? Running
    {
        get { lock (_lock) { return _running; } }
    }

    public int Remaining
    {
        get { lock (_lock) { return _pending.Count + (_running is null ? 0 : 1); } }
    }

    public JsonObject StatusData() => new() { ["exec_info"] = new JsonObject { ["queue_remaining"] = Remaining } };

    public void BroadcastStatus() => hub.Send(null, "status", new JsonObject { ["status"] = StatusData() });

    public void Put(QueueItem item)
    {
        lock (_lock) { _pending.Add(item); }
        BroadcastStatus();
        _signal.Release();
    }

    public async Task<QueueItem> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            QueueItem? next = null;
            lock (_lock)
            {
                if (_pending.Count > 0)
                {
                    next = _pending.MinBy(i => i, Comparer<QueueItem>.Create(Compare))!;
                    _pending.Remove(next);
                    _running = next;
                }
            }
            if (next is not null)
            {
                BroadcastStatus();
                return next;
            }
            await _signal.WaitAsync(cancellationToken);
        }
    }

    public void Done(QueueItem item, JsonObject entry)
    {
        lock (_lock)
        {
            _running = null;
            if (!_history.ContainsKey(item.PromptId) && _history.Count >= MaxHistory) { _history.RemoveAt(0); }
            _history[item.PromptId] = entry;
        }
        BroadcastStatus();
    }

    public JsonObject QueueJson()
    {
        lock (_lock)
        {
            var running = new JsonArray();
            if (_running is not null) { running.Add(_running.ToJson()); }
            var pending = new JsonArray(_pending.Order(Comparer<QueueItem>.Create(Compare)).Select(i => (JsonNode?)i.ToJson()).ToArray());
            return new JsonObject { ["queue_running"] = running, ["queue_pending"] = pending };
        }
    }

    public void Clear()
    {
        lock (_lock) { _pending.Clear(); }
        BroadcastStatus();
    }

    public void Delete(IEnumerable<string> ids)
    {
        var set = ids.ToHashSet(StringComparer.Ordinal);
        lock (_lock) { _pending.RemoveAll(i => set.Contains(i.PromptId)); }
        BroadcastStatus();
    }

    public JsonObject History(int? maxItems, int offset)
    {
        lock (_lock)
        {
            var items = _history.AsEnumerable();
            if (maxItems is { } max)
            {
                var start = offset >= 0 ? offset : Math.Max(0, _history.Count - max);
                items = items.Skip(start).Take(max);
            }
            else if (offset >= 0)
            {
                items = items.Skip(offset);
            }
            var result = new JsonObject();
            foreach (var (id, entry) in items) { result[id] = entry.DeepClone(); }
            return result;
        }
    }

    public JsonObject HistoryOf(string id)
    {
        lock (_lock)
        {
            return _history.TryGetValue(id, out var entry) ? new JsonObject { [id] = entry.DeepClone() } : [];
        }
    }

    public void ClearHistory()
    {
        lock (_lock) { _history.Clear(); }
    }

    public void DeleteHistory(IEnumerable<string> ids)
    {
        lock (_lock)
        {
            foreach (var id in ids) { _history.Remove(id); }
        }
    }

    public void Dispose() => _signal.Dispose();

    private static int Compare(QueueItem a, QueueItem b)
    {
        var c = a.Number.CompareTo(b.Number);
        return c != 0 ? c : string.CompareOrdinal(a.PromptId, b.PromptId);
    }
}
