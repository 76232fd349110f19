using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Api;

/// <summary>What a script does with <see cref="HttpClient"/> against REST v1: upload a picture, post JSON, poll a job.</summary>
internal static class ApiClient
{
    public static Uri Path(string path) => new(path, UriKind.Relative);

    public static byte[] Png(int width, int height, Rgba32 colour, Action<Image<Rgba32>>? paint = null)
    {
        using var image = new Image<Rgba32>(width, height, colour);
        paint?.Invoke(image);
        using var png = new MemoryStream();
        image.SaveAsPng(png);
        return png.ToArray();
    }

    public static async Task<HttpResponseMessage> UploadAsync(HttpClient http, byte[] file, string purpose = "source")
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(content, "file", "picture.png");
        return await PostAsync(http, $"/api/v1/uploads?purpose={purpose}", form);
    }

    /// <summary>
    /// Posts as a client should post a large body: with <c>Expect: 100-continue</c>, so a refusal (413) arrives before the body
    /// is sent instead of as a connection closed under it.
    /// </summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path(path)) { Content = content };
        request.Headers.ExpectContinue = true;
        return await http.SendAsync(request);
    }

    public static async Task<Guid> UploadIdAsync(HttpClient http, byte[] file)
    {
        using var response = await UploadAsync(http, file);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await JsonAsync(response)).GetProperty("id").GetGuid();
    }

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, string json) =>
        PostAsync(http, path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PostJsonAsync(HttpClient http, string path, object body) =>
        PostJsonAsync(http, path, JsonSerializer.Serialize(body));

    /// <summary>Submits a job and answers the ids it queued (202 expected).</summary>
    public static async Task<List<Guid>> SubmitAsync(HttpClient http, object body, string path = "/api/v1/jobs")
    {
        using var response = await PostJsonAsync(http, path, body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        var jobs = (await JsonAsync(response)).GetProperty("jobs").EnumerateArray().ToList();
        Assert.Equal(response.Headers.Location?.OriginalString, jobs[0].GetProperty("url").GetString());
        return [.. jobs.Select(j => j.GetProperty("id").GetGuid())];
    }

    /// <summary>Polls <c>GET /api/v1/jobs/{id}</c> until the job has ended, as a script would; the timeout only guards against a hang.</summary>
    public static async Task<JsonElement> WaitEndedAsync(HttpClient http, Guid jobId)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var job = await GetAsync(http, $"/api/v1/jobs/{jobId}");
            if (job.GetProperty("status").GetString() is "Succeeded" or "Failed" or "Cancelled")
            {
                return job;
            }
            if (guard.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"Job {jobId} did not end: {job}");
            }
            await Task.Delay(50);
        }
    }

    public static async Task<JsonElement> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(Path(path));
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await JsonAsync(response);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>A problem details answer with <paramref name="status"/>; its <c>errors</c> object (undefined when it has none).</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}, expected {status}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(body);
        Assert.Equal((int)status, document.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(document.RootElement.GetProperty("title").GetString()));
        return document.RootElement.Clone();
    }

    /// <summary>The reasons given for <paramref name="field"/> in a 400 problem.</summary>
    public static async Task<string> FieldErrorAsync(HttpResponseMessage response, string field)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        var reasons = problem.TryGetProperty("errors", out var errors) && errors.TryGetProperty(field, out var given) ? given : default;
        Assert.True(reasons.ValueKind == JsonValueKind.Array, $"no error for {field}: {problem}");
        var text = string.Join(" ", reasons.EnumerateArray().Select(r => r.GetString()));
        Assert.False(string.IsNullOrWhiteSpace(text));
        return text;
    }
}
