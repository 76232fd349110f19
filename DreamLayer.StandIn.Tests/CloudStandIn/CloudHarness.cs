using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CloudStandIn;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>A clock a test moves by hand, so URL expiry is checked without waiting.</summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) { return _now; }
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock) { _now += by; }
    }
}

/// <summary>A cloud stand-in on a free port with a hand-moved clock, and a client that speaks to each provider.</summary>
internal sealed class CloudHarness : IAsyncDisposable
{
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private CloudHarness(CloudStandInServer server, CloudStandInOptions options, ManualClock clock)
    {
        Server = server;
        Options = options;
        Clock = clock;
        Http = NewClient();
    }

    public CloudStandInServer Server { get; }

    public CloudStandInOptions Options { get; }

    public ManualClock Clock { get; }

    public HttpClient Http { get; }

    public string OpenAiKey => Options.Keys[CloudProvider.OpenAi];

    public string IdeogramKey => Options.Keys[CloudProvider.Ideogram];

    public string BflKey => Options.Keys[CloudProvider.Bfl];

    public static async Task<CloudHarness> StartAsync(Action<CloudStandInOptions>? configure = null)
    {
        var clock = new ManualClock();
        var options = new CloudStandInOptions { Port = 0, Time = clock, BflPendingPolls = 0 };
        configure?.Invoke(options);
        return new CloudHarness(await CloudStandInServer.StartAsync(options), options, clock);
    }

    /// <summary>A fresh client, as after a client restart.</summary>
    public HttpClient NewClient() => new() { BaseAddress = Server.BaseAddress, Timeout = Guard };

    public Task<HttpResponseMessage> OpenAiAsync(string path, JsonObject body, string? key = null) =>
        SendAsync(HttpMethod.Post, path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key ?? OpenAiKey));

    public Task<HttpResponseMessage> OpenAiFormAsync(MultipartFormDataContent form, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/images/edits", form, r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key ?? OpenAiKey));

    public Task<HttpResponseMessage> IdeogramAsync(string action, MultipartFormDataContent form, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/ideogram-v3/" + action, form, r => r.Headers.Add("Api-Key", key ?? IdeogramKey));

    public Task<HttpResponseMessage> BflAsync(string model, JsonObject body, string? key = null) =>
        SendAsync(HttpMethod.Post, "/v1/" + model, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), r => r.Headers.Add("x-key", key ?? BflKey));

    public async Task<JsonObject> PollAsync(string pollingUrl, HttpClient? client = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(pollingUrl));
        request.Headers.Add("x-key", BflKey);
        using var response = await (client ?? Http).SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent content, Action<HttpRequestMessage> authorize)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative)) { Content = content };
        authorize(request);
        return await Http.SendAsync(request);
    }

    public static async Task<JsonObject> JsonOf(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();

    /// <summary>A PNG of the given size (RGBA when <paramref name="alpha"/>), for uploads.</summary>
    public static byte[] Png(int width, int height, bool alpha = false)
    {
        using var ms = new MemoryStream();
        if (alpha)
        {
            using var image = new Image<Rgba32>(width, height, new Rgba32(10, 20, 30, 0));
            image.SaveAsPng(ms);
        }
        else
        {
            using var image = new Image<Rgb24>(width, height, new Rgb24(200, 100, 50));
            image.SaveAsPng(ms);
        }
        return ms.ToArray();
    }

    /// <summary>A PNG whose left half is <paramref name="left"/> and right half <paramref name="right"/> (a mask, or a picture to edit).</summary>
    public static byte[] Halves(int width, int height, Rgba32 left, Rgba32 right)
    {
        using var image = new Image<Rgba32>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++) { row[x] = x < width / 2 ? left : right; }
            }
        });
        using var ms = new MemoryStream();
        image.SaveAsPng(ms);
        return ms.ToArray();
    }

    /// <summary>The colour of one pixel of a picture, as fractions of its width and height (0.25, 0.5: a quarter in, half way down).</summary>
    public static Rgba32 PixelAt(byte[] picture, double x, double y)
    {
        using var image = Image.Load<Rgba32>(picture);
        return image[(int)(image.Width * x), (int)(image.Height * y)];
    }

    public static ByteArrayContent File(byte[] bytes, string mediaType = "image/png")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return content;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
