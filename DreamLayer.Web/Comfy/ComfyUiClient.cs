using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Comfy;

public abstract record QueuePromptResult;

/// <summary>Queued. <see cref="Warnings"/> holds outputs the server dropped (a 200 with partial <c>node_errors</c>).</summary>
public sealed record PromptAccepted(string PromptId, IReadOnlyDictionary<string, ComfyNodeErrors> Warnings) : QueuePromptResult;

/// <summary>The server refused the graph (HTTP 400) and said why.</summary>
public sealed record PromptRejected(PromptValidationResult Validation) : QueuePromptResult;

/// <summary>No usable answer. <see cref="MayHaveArrived"/> is false only when the connection was refused.</summary>
public sealed record ServerUnavailable(string Message, bool MayHaveArrived) : QueuePromptResult;

/// <summary>
/// What <c>/history/{id}</c> says about a finished prompt: each output node's pictures and, in <see cref="Texts"/>, the
/// strings of its other <c>ui</c> lists (a captioning node's <c>{"tags": [...]}</c> or <c>{"text": [...]}</c>).
/// </summary>
public sealed record ComfyHistoryEntry(
    string PromptId,
    bool Succeeded,
    bool Interrupted,
    string? ErrorMessage,
    IReadOnlyDictionary<string, IReadOnlyList<ComfyImageRef>> Outputs,
    IReadOnlyDictionary<string, IReadOnlyList<string>>? Texts = null);

public abstract record ComfyUploadResult;

/// <summary>
/// What the server stored (<c>POST /upload/image</c> reply). <see cref="Name"/> can differ from the name sent.
/// </summary>
public sealed record ComfyUploaded(string Name, string Subfolder, string Type) : ComfyUploadResult
{
    /// <summary>
    /// The value for LoadImage's <c>image</c> input (PROTOCOL §6.4): <c>subfolder/name</c>, or <c>name</c> with no
    /// subfolder, with a <c> [output]</c>/<c> [temp]</c> suffix for files outside <c>input/</c>.
    /// </summary>
    public string GraphValue
    {
        get
        {
            var path = Subfolder.Length == 0 ? Name : Subfolder.TrimEnd('/') + "/" + Name;
            return Type is "" or "input" ? path : $"{path} [{Type}]";
        }
    }
}

/// <summary>Nothing stored: the server was unreachable or refused the upload.</summary>
/// <param name="Refused">True when the server answered and refused the file; false when it could not be reached.</param>
public sealed record ComfyUploadFailed(string Message, bool Refused = false) : ComfyUploadResult;

/// <summary>What <c>/system_stats</c> says about the server: its version, first device and the machine's RAM (bytes).</summary>
public sealed record ComfySystemStats(string? ComfyUiVersion, string? Device, long VramTotal, long VramFree, long RamTotal = 0, long RamFree = 0);

public sealed record ComfyQueueState(IReadOnlyList<string> Running, IReadOnlyList<string> Pending);

/// <summary>
/// Typed client for one ComfyUI server's HTTP API. <c>POST /prompt</c> is never retried (the resilience
/// handler retries only safe methods). Expected failures come back as values; bugs are exceptions.
/// </summary>
public sealed class ComfyUiClient(HttpClient http, Uri baseAddress)
{
    public Uri BaseAddress { get; } = baseAddress;

    public async Task<ObjectInfo> GetObjectInfoAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync(Url("object_info"), HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var doc = await JsonDocument.ParseAsync(stream, new JsonDocumentOptions { MaxDepth = 256 }, ct);
        return ObjectInfo.Parse(doc.RootElement);
    }

    /// <summary>
    /// The <c>extra_data</c> ComfyUI's own frontend sends: <c>extra_pnginfo.workflow</c>, the graph in UI format, which
    /// SaveImage writes into the PNG's <c>workflow</c> chunk so that the image opens in ComfyUI as an editable graph.
    /// </summary>
    public static JsonObject WorkflowExtraData(ComfyGraph graph, ObjectInfo info) => new()
    {
        ["extra_pnginfo"] = new JsonObject { ["workflow"] = UiWorkflow.FromApiGraph(graph, info) },
    };

    public async Task<QueuePromptResult> QueuePromptAsync(ComfyGraph graph, string clientId, string promptId, JsonObject? extraData, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var body = new JsonObject
        {
            ["prompt"] = graph.ToJson(),
            ["client_id"] = clientId,
            ["prompt_id"] = promptId,
        };
        if (extraData is not null)
        {
            body["extra_data"] = extraData.DeepClone();
        }
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(Url("prompt"), content, ct);
        }
        catch (HttpRequestException ex) when (IsConnectionRefused(ex))
        {
            return new ServerUnavailable($"Nothing answered at {BaseAddress}: {ex.Message}", MayHaveArrived: false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || TimedOut(ex, ct))
        {
            return new ServerUnavailable($"{BaseAddress} did not answer: {ex.Message}", MayHaveArrived: true);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement json = default;
            var hasJson = false;
            try
            {
                json = JsonDocument.Parse(text).RootElement;
                hasJson = true;
            }
            catch (JsonException)
            {
            }
            if (response.IsSuccessStatusCode && hasJson && json.ValueKind == JsonValueKind.Object)
            {
                var id = json.TryGetProperty("prompt_id", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : promptId;
                var warnings = PromptValidationResult.FromServerResponse(json).NodeErrors;
                return new PromptAccepted(id, warnings);
            }
            if (response.StatusCode == HttpStatusCode.BadRequest && hasJson)
            {
                return new PromptRejected(PromptValidationResult.FromServerResponse(json));
            }
            var snippet = text.Length > 300 ? text[..300] + "…" : text;
            return new ServerUnavailable($"{BaseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase}: {snippet}", MayHaveArrived: true);
        }
    }

    /// <summary>
    /// <c>POST /upload/image</c> into <c>input/&lt;subfolder&gt;</c>, overwriting a file of the same name. Not retried
    /// (unsafe method). Network failures and refusals come back as <see cref="ComfyUploadFailed"/>.
    /// </summary>
    public Task<ComfyUploadResult> UploadImageAsync(Stream png, string fileName, string subfolder, CancellationToken ct) =>
        UploadAsync("upload/image", png, fileName, subfolder, original: null, ct);

    /// <summary>
    /// <c>POST /upload/mask</c> (PROTOCOL §6.3): the server takes <paramref name="original"/>, replaces its alpha with the
    /// alpha of <paramref name="png"/> and stores the result as <paramref name="fileName"/>. Transparent means "inpaint here".
    /// </summary>
    public Task<ComfyUploadResult> UploadMaskAsync(Stream png, string fileName, string subfolder, ComfyUploaded original, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(original);
        return UploadAsync("upload/mask", png, fileName, subfolder, original, ct);
    }

    private async Task<ComfyUploadResult> UploadAsync(string route, Stream png, string fileName, string subfolder, ComfyUploaded? original, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(png);
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(subfolder);
        using var form = UploadForm(png, fileName, subfolder, original);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsync(Url(route), form, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException || TimedOut(ex, ct))
        {
            return new ComfyUploadFailed($"Could not upload to {BaseAddress}: {ex.Message}");
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
            {
                try
                {
                    var json = JsonDocument.Parse(text).RootElement;
                    if (json.ValueKind == JsonValueKind.Object
                        && json.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() is { Length: > 0 } n)
                    {
                        var sub = json.TryGetProperty("subfolder", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : subfolder;
                        var type = json.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "input";
                        return new ComfyUploaded(n, sub, type);
                    }
                }
                catch (JsonException)
                {
                }
            }
            var snippet = text.Length > 300 ? text[..300] + "…" : text;
            return new ComfyUploadFailed($"{BaseAddress} refused the upload: {(int)response.StatusCode} {response.ReasonPhrase} {snippet}".TrimEnd(), Refused: true);
        }
    }

    /// <summary>
    /// The body of an upload, each part's <c>Content-Disposition</c> written as browsers write it (RFC 7578):
    /// <c>form-data; name="image"; filename="x.png"</c>, every value quoted, no <c>filename*</c>. aiohttp also reads
    /// unquoted values, but strict servers and proxies in front of ComfyUI refuse them.
    /// </summary>
    internal static MultipartFormDataContent UploadForm(Stream png, string fileName, string subfolder, ComfyUploaded? original)
    {
        var form = new MultipartFormDataContent
        {
            // File names go out as UTF-8, as browsers send them (the default would turn non-Latin-1 letters into '?').
            HeaderEncodingSelector = (_, _) => Encoding.UTF8,
        };
        if (original is not null)
        {
            var reference = new JsonObject { ["filename"] = original.Name, ["subfolder"] = original.Subfolder, ["type"] = original.Type };
            form.Add(FormPart(new StringContent(reference.ToJsonString()), "original_ref", fileName: null));
        }
        var file = new StreamContent(png);
        file.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/png");
        form.Add(FormPart(file, "image", fileName));
        form.Add(FormPart(new StringContent("input"), "type", fileName: null));
        form.Add(FormPart(new StringContent(subfolder), "subfolder", fileName: null));
        form.Add(FormPart(new StringContent("true"), "overwrite", fileName: null));
        return form;
    }

    private static HttpContent FormPart(HttpContent content, string name, string? fileName)
    {
        var disposition = new System.Net.Http.Headers.ContentDispositionHeaderValue("form-data");
        disposition.Parameters.Add(new System.Net.Http.Headers.NameValueHeaderValue("name", FormQuoted(name)));
        if (fileName is not null)
        {
            disposition.Parameters.Add(new System.Net.Http.Headers.NameValueHeaderValue("filename", FormQuoted(fileName)));
        }
        content.Headers.ContentDisposition = disposition;
        return content;
    }

    /// <summary>A quoted form-data value, escaped as the HTML standard has browsers escape it: <c>"</c>, CR and LF percent-encoded.</summary>
    internal static string FormQuoted(string value) =>
        "\"" + value.Replace("\"", "%22", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal) + "\"";

    /// <summary>The finished entry, or null while the prompt is pending, running or unknown.</summary>
    public async Task<ComfyHistoryEntry?> GetHistoryAsync(string promptId, CancellationToken ct)
    {
        using var response = await http.GetAsync(Url("history/" + Uri.EscapeDataString(promptId)), ct);
        response.EnsureSuccessStatusCode();
        var root = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(promptId, out var entry) || entry.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var outputs = new Dictionary<string, IReadOnlyList<ComfyImageRef>>(StringComparer.Ordinal);
        var texts = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (entry.TryGetProperty("outputs", out var o) && o.ValueKind == JsonValueKind.Object)
        {
            foreach (var node in o.EnumerateObject())
            {
                outputs[node.Name] = ComfyMessageParser.Images(node.Value);
                if (Strings(node.Value) is { Count: > 0 } strings)
                {
                    texts[node.Name] = strings;
                }
            }
        }
        var succeeded = false;
        var interrupted = false;
        string? error = null;
        if (entry.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
        {
            succeeded = status.TryGetProperty("status_str", out var ss) && ss.ValueKind == JsonValueKind.String && ss.GetString() == "success";
            if (status.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                foreach (var m in messages.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() < 2 || m[0].ValueKind != JsonValueKind.String)
                    {
                        continue;
                    }
                    switch (m[0].GetString())
                    {
                        case "execution_interrupted":
                            interrupted = true;
                            break;
                        case "execution_error" when m[1].ValueKind == JsonValueKind.Object:
                            var data = m[1];
                            error = DescribeExecutionError(
                                data.TryGetProperty("node_type", out var nt) ? nt.ToString() : null,
                                data.TryGetProperty("node_id", out var ni) ? ni.ToString() : null,
                                data.TryGetProperty("exception_type", out var et) ? et.ToString() : null,
                                data.TryGetProperty("exception_message", out var em) ? em.ToString() : null);
                            break;
                    }
                }
            }
        }
        else
        {
            succeeded = true; // very old servers had no status; outputs are all there is
        }
        return new ComfyHistoryEntry(promptId, succeeded, interrupted, error, outputs, texts);
    }

    /// <summary>The strings of a node's <c>ui</c> lists, in order (lists of pictures and other values are left out).</summary>
    private static List<string> Strings(JsonElement ui)
    {
        var strings = new List<string>();
        if (ui.ValueKind != JsonValueKind.Object)
        {
            return strings;
        }
        foreach (var list in ui.EnumerateObject())
        {
            if (list.Value.ValueKind != JsonValueKind.Array)
            {
                continue;
            }
            strings.AddRange(list.Value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!));
        }
        return strings;
    }

    public async Task<ComfySystemStats> GetSystemStatsAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync(Url("system_stats"), ct);
        response.EnsureSuccessStatusCode();
        var root = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        var hasSystem = root.TryGetProperty("system", out var system) && system.ValueKind == JsonValueKind.Object;
        string? version = hasSystem && system.TryGetProperty("comfyui_version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var (ramTotal, ramFree) = hasSystem ? (Long(system, "ram_total"), Long(system, "ram_free")) : (0, 0);
        if (root.TryGetProperty("devices", out var devices) && devices.ValueKind == JsonValueKind.Array && devices.GetArrayLength() > 0
            && devices[0] is { ValueKind: JsonValueKind.Object } device)
        {
            var name = device.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            return new ComfySystemStats(version, name, Long(device, "vram_total"), Long(device, "vram_free"), ramTotal, ramFree);
        }
        return new ComfySystemStats(version, null, 0, 0, ramTotal, ramFree);

        static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var p) && p.TryGetInt64(out var l) ? l : 0;
    }

    /// <summary>The server's model folder keys (<c>GET /models</c>), or null for a server older than that route (404).</summary>
    public async Task<IReadOnlyList<string>?> GetModelFoldersAsync(CancellationToken ct) => await GetStringListAsync("models", ct);

    /// <summary>The files of one model folder (<c>GET /models/{folder}</c>), or null when the server has no such folder or route (404).</summary>
    public async Task<IReadOnlyList<string>?> GetModelFilesAsync(string folder, CancellationToken ct) =>
        await GetStringListAsync("models/" + Uri.EscapeDataString(folder), ct);

    /// <summary>
    /// The safetensors <c>__metadata__</c> of a model file (<c>GET /view_metadata/{folder}?filename=</c>); null when the
    /// server has none to give (404: not a .safetensors file, no such file, or a header without metadata).
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> GetModelMetadataAsync(string folder, string fileName, CancellationToken ct)
    {
        using var response = await http.GetAsync(Url($"view_metadata/{Uri.EscapeDataString(folder)}?filename={Uri.EscapeDataString(fileName)}"), HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        var root = await ReadBoundedJsonAsync(response, ct);
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in root.EnumerateObject())
        {
            metadata[entry.Name] = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : entry.Value.GetRawText();
        }
        return metadata;
    }

    /// <summary>
    /// <c>POST /free</c>: the server unloads its models from the GPU (<paramref name="unloadModels"/>) and, with
    /// <paramref name="freeMemory"/>, also empties its node caches; done once the running prompt ends, or at once when idle.
    /// </summary>
    public async Task FreeAsync(bool unloadModels, bool freeMemory, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(Url("free"), new JsonObject { ["unload_models"] = unloadModels, ["free_memory"] = freeMemory }, ct);
        response.EnsureSuccessStatusCode();
    }

    private async Task<IReadOnlyList<string>?> GetStringListAsync(string path, CancellationToken ct)
    {
        using var response = await http.GetAsync(Url(path), HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        var root = await ReadBoundedJsonAsync(response, ct);
        return root.ValueKind == JsonValueKind.Array
            ? [.. root.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)]
            : [];
    }

    /// <summary>A JSON answer read no further than 16 MiB (a list of 100,000 model paths fits many times over).</summary>
    private static async Task<JsonElement> ReadBoundedJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        const long Max = 16 * 1024 * 1024;
        if (response.Content.Headers.ContentLength > Max)
        {
            throw new InvalidDataException($"The server's answer is {response.Content.Headers.ContentLength:N0} bytes, over the {Max:N0} this list may take.");
        }
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > Max)
            {
                throw new InvalidDataException($"The server's answer is over the {Max:N0} bytes this list may take.");
            }
            buffer.Write(chunk, 0, read);
        }
        using var doc = JsonDocument.Parse(buffer.ToArray());
        return doc.RootElement.Clone();
    }

    public async Task<ComfyQueueState> GetQueueAsync(CancellationToken ct)
    {
        using var response = await http.GetAsync(Url("queue"), ct);
        response.EnsureSuccessStatusCode();
        var root = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        return new ComfyQueueState(QueueIds(root, "queue_running"), QueueIds(root, "queue_pending"));
    }

    public async Task DeleteFromQueueAsync(string promptId, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(Url("queue"), new JsonObject { ["delete"] = new JsonArray(promptId) }, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Targeted interrupt: servers since 2025-09 stop only that prompt, and only while it runs.</summary>
    public async Task InterruptAsync(string promptId, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(Url("interrupt"), new JsonObject { ["prompt_id"] = promptId }, ct);
        response.EnsureSuccessStatusCode();
    }

    public Task<byte[]> GetImageAsync(ComfyImageRef image, CancellationToken ct) => GetImageAsync(image, Data.StorageOptions.DefaultMaxImageBytes, ct);

    /// <summary>
    /// A file from <c>/view</c>, read as it arrives and never past <paramref name="maxBytes"/>: a server that sends more
    /// (or announces more) is refused with <see cref="InvalidDataException"/> before the rest is read.
    /// </summary>
    public async Task<byte[]> GetImageAsync(ComfyImageRef image, long maxBytes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(image);
        var query = $"view?filename={Uri.EscapeDataString(image.Filename)}&subfolder={Uri.EscapeDataString(image.Subfolder ?? string.Empty)}&type={Uri.EscapeDataString(image.Type ?? "output")}";
        using var response = await http.GetAsync(Url(query), HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength is { } announced && announced > maxBytes)
        {
            throw TooLarge(announced, maxBytes);
        }
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(null, maxBytes);
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static InvalidDataException TooLarge(long? size, long limit) => new(size is { } bytes
        ? $"The server sent an image of {bytes:N0} bytes; the limit is {limit:N0}."
        : $"The server sent an image of more than {limit:N0} bytes; the limit is {limit:N0}.");

    public Uri WebSocketUri(string clientId)
    {
        var builder = new UriBuilder(new Uri(BaseAddress, "ws"))
        {
            Scheme = BaseAddress.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Query = "clientId=" + Uri.EscapeDataString(clientId),
        };
        return builder.Uri;
    }

    /// <summary>HttpClient's own timeout: a <see cref="TaskCanceledException"/> while the caller's token is not cancelled.</summary>
    public static bool TimedOut(Exception ex, CancellationToken ct) => ex is TaskCanceledException && !ct.IsCancellationRequested;

    /// <summary>A call the server did not answer usably: unreachable, timed out, or a reply that is not the JSON expected.</summary>
    public static bool Unanswered(Exception ex, CancellationToken ct) => ex is HttpRequestException or JsonException || TimedOut(ex, ct);

    public static string DescribeExecutionError(string? nodeType, string? nodeId, string? exceptionType, string? message) =>
        $"ComfyUI failed in node {nodeId} ({nodeType}): {exceptionType}: {message?.Trim()}";

    private Uri Url(string relative) => new(BaseAddress, relative);

    private static List<string> QueueIds(JsonElement root, string name)
    {
        var ids = new List<string>();
        if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var items) && items.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in items.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() > 1 && item[1].ValueKind == JsonValueKind.String)
                {
                    ids.Add(item[1].GetString()!);
                }
            }
        }
        return ids;
    }

    private static bool IsConnectionRefused(HttpRequestException ex) =>
        ex.HttpRequestError == HttpRequestError.ConnectionError
        && ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.NetworkUnreachable or SocketError.HostUnreachable };

}
