using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Web.Features.Api;
using Microsoft.AspNetCore.SignalR.Client;

namespace DreamLayer.Benchmark;

/// <summary>Who a face's client is: the app's root, a personal token (a bearer token on every face), the image size of the workload.</summary>
internal sealed record FaceClient(Uri Root, string Token, int ImageSize);

/// <summary>
/// One public face of the app as a client of it sees it: one job of the benchmark's workload (<see cref="Workload.Request"/>:
/// txt2img, 1 step, the same checkpoint, sampler and seed scheme as the direct loop), from sending it to holding the
/// image's bytes, in ms.
/// </summary>
internal interface IApiFace : IAsyncDisposable
{
    Task<double> RunJobAsync(ulong seed, CancellationToken ct);
}

/// <summary>
/// The faces measured, in the order of the table. Another face plugs in with one class implementing <see cref="IApiFace"/>
/// and one line here: the ComfyUI-compatible face (<c>/comfy</c>: <c>POST /prompt</c>, its <c>/ws</c> until the prompt
/// is done, <c>GET /view</c>) is what <see cref="DirectLoop"/> already does against a ComfyUI server, so its class is the
/// direct loop pointed at <c>{root}/comfy/</c> with the token where ComfyUI clients put it.
/// </summary>
internal static class ApiFaces
{
    public static IReadOnlyList<(string Name, Func<FaceClient, CancellationToken, Task<IApiFace>> Connect)> All { get; } =
    [
        ("REST v1 (POST /api/v1/jobs, hub's JobFinished, GET image)", RestFace.ConnectAsync),
        ("A1111 (POST /sdapi/v1/txt2img, blocking, base64)", SdApiFace.ConnectAsync),
        ("ComfyUI (POST /comfy/prompt, /comfy/ws until done, GET /comfy/view)", ComfyFace.ConnectAsync),
    ];

    /// <summary>An HTTP client of the app that sends the token as a bearer token.</summary>
    public static HttpClient Http(FaceClient client)
    {
        var http = new HttpClient { BaseAddress = client.Root, Timeout = Workload.JobTimeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", client.Token);
        return http;
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, HttpStatusCode expected, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        }
        using var json = JsonDocument.Parse(text);
        return json.RootElement.Clone();
    }
}

/// <summary>
/// REST v1 as a script that follows its jobs live: <c>POST /api/v1/jobs</c>, the hub's <c>JobFinished</c> for that job
/// (the connection made once, before), then <c>GET</c> of the image's address.
/// </summary>
internal sealed class RestFace : IApiFace
{
    private readonly HttpClient _http;
    private readonly HubConnection _hub;
    private readonly int _imageSize;
    private readonly ConcurrentDictionary<Guid, TaskCompletionSource<string>> _ends = new();

    private RestFace(HttpClient http, HubConnection hub, int imageSize)
    {
        _http = http;
        _hub = hub;
        _imageSize = imageSize;
        hub.On<JsonElement>(JobHubEvents.Finished, e => End(e.GetProperty("jobId").GetGuid()).TrySetResult(e.GetProperty("images")[0].GetString()!));
        hub.On<JsonElement>(JobHubEvents.Failed, e => End(e.GetProperty("jobId").GetGuid()).TrySetException(new InvalidOperationException(e.GetProperty("reason").GetString())));
    }

    public static async Task<IApiFace> ConnectAsync(FaceClient client, CancellationToken ct)
    {
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(client.Root, JobsHub.Path.TrimStart('/')), o => o.AccessTokenProvider = () => Task.FromResult<string?>(client.Token))
            .Build();
        var face = new RestFace(ApiFaces.Http(client), hub, client.ImageSize);
        try
        {
            await hub.StartAsync(ct);
            return face;
        }
        catch
        {
            await face.DisposeAsync();
            throw;
        }
    }

    /// <summary>The end of a job, whichever comes first: the event (it can arrive before the POST's answer) or the wait for it.</summary>
    private TaskCompletionSource<string> End(Guid jobId) => _ends.GetOrAdd(jobId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task<double> RunJobAsync(ulong seed, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var request = Workload.Request(_imageSize, seed);
        var body = new JsonObject
        {
            ["mode"] = "Txt2Img",
            ["prompt"] = request.Prompt,
            ["negativePrompt"] = request.NegativePrompt,
            ["checkpoint"] = request.Checkpoint,
            ["sampler"] = request.Sampler,
            ["scheduler"] = request.Scheduler,
            ["steps"] = request.Steps,
            ["cfg"] = request.Cfg,
            ["width"] = request.Width,
            ["height"] = request.Height,
            ["seedMode"] = "Fixed",
            ["seed"] = seed,
        };
        Guid jobId;
        using (var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"))
        using (var response = await _http.PostAsync(new Uri("api/v1/jobs", UriKind.Relative), content, ct))
        {
            jobId = (await ApiFaces.JsonAsync(response, HttpStatusCode.Accepted, ct)).GetProperty("jobs")[0].GetProperty("id").GetGuid();
        }
        var image = await End(jobId).Task.WaitAsync(Workload.JobTimeout, ct);
        _ends.TryRemove(jobId, out _);
        var bytes = await _http.GetByteArrayAsync(new Uri(image.TrimStart('/'), UriKind.Relative), ct);
        return bytes.Length > 0 ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : throw new InvalidDataException($"{image} was empty.");
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _http.Dispose();
    }
}

/// <summary>AUTOMATIC1111's API as Open WebUI calls it: one <c>POST /sdapi/v1/txt2img</c> that answers when the picture is made, as base64.</summary>
internal sealed class SdApiFace(HttpClient http, int imageSize) : IApiFace
{
    public static Task<IApiFace> ConnectAsync(FaceClient client, CancellationToken ct) =>
        Task.FromResult<IApiFace>(new SdApiFace(ApiFaces.Http(client), client.ImageSize));

    public async Task<double> RunJobAsync(ulong seed, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var request = Workload.Request(imageSize, seed);
        var body = new JsonObject
        {
            ["prompt"] = request.Prompt,
            ["negative_prompt"] = request.NegativePrompt,
            ["steps"] = request.Steps,
            ["cfg_scale"] = request.Cfg,
            ["width"] = request.Width,
            ["height"] = request.Height,
            ["seed"] = (long)seed,
            ["sampler_name"] = "Euler",
            ["scheduler"] = request.Scheduler,
            ["override_settings"] = new JsonObject { ["sd_model_checkpoint"] = request.Checkpoint },
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("sdapi/v1/txt2img", UriKind.Relative), content, ct);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            await ApiFaces.JsonAsync(response, HttpStatusCode.OK, ct); // says what came back instead
        }
        // As a client that only wants the picture reads it: the body parsed once from its bytes, the base64 decoded from there.
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var answer = await JsonDocument.ParseAsync(stream, cancellationToken: ct);
        var image = answer.RootElement.GetProperty("images")[0].GetBytesFromBase64();
        return image.Length > 0 ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : throw new InvalidDataException("txt2img answered an empty image.");
    }

    public ValueTask DisposeAsync()
    {
        http.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// The ComfyUI-compatible face as a ComfyUI client uses it: the direct loop itself (the same graph, <c>POST /prompt</c>,
/// its <c>/ws</c> until the prompt is done, <c>GET /view</c>) pointed at <c>{app}/comfy/</c> with the token.
/// </summary>
internal sealed class ComfyFace(DirectLoop loop) : IApiFace
{
    public static async Task<IApiFace> ConnectAsync(FaceClient client, CancellationToken ct) =>
        new ComfyFace(await DirectLoop.ConnectAsync(new BenchmarkSettings(Jobs: 0, Warmup: 0, client.ImageSize), new Uri(client.Root, "comfy/"), ct, client.Token));

    public Task<double> RunJobAsync(ulong seed, CancellationToken ct) => loop.RunJobAsync(seed, ct);

    public ValueTask DisposeAsync() => loop.DisposeAsync();
}
