using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ComfyStandIn;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Models.Install;
using DreamLayer.Web.Models.Install;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DreamLayer.Benchmark;

/// <summary>
/// Installing a 2 GiB model: <c>cp</c> of the file on the same disk (the floor), then the real app (in this process, on
/// Kestrel, against an in-process stand-in listing the models folder) installing it by upload (an HTTP client posting
/// the file to <c>/models/install/upload</c> as the browser does) and by address (from a file server on loopback that
/// answers Range requests). For each: time, MB/s, the ratio to cp's time, and this process's resident memory before and
/// at its peak (sampled every 5 ms). The client and the file server run in this process too, so the growth is an upper
/// bound of the app's.
/// </summary>
internal static partial class InstallBenchmark
{
    private const long FileBytes = 2L * 1024 * 1024 * 1024;
    private const string Password = "benchmark-password-1";

    public static async Task<int> RunAsync(string work, CancellationToken ct)
    {
        var source = Path.Combine(work, "source", "bench.safetensors");
        var models = Path.Combine(work, "models");
        Directory.CreateDirectory(Path.GetDirectoryName(source)!);
        Directory.CreateDirectory(models);
        Console.Error.WriteLine($"Writing a {FileBytes >> 20} MiB safetensors file…");
        await WriteModelAsync(source, ct);

        Console.Error.WriteLine("cp of the same file on the same disk…");
        var cpTime = await CopyAsync(source, Path.Combine(work, "cp-copy.safetensors"), ct);
        File.Delete(Path.Combine(work, "cp-copy.safetensors"));

        await using var files = await StartFileServerAsync(source, ct);
        await using var standIn = await StandInServer.StartAsync(new StandInOptions { Port = 0, StepTime = TimeSpan.Zero, DataDirectory = Path.Combine(work, "standin"), ModelsDirectory = models }, ct);
        using var app = new InProcessApp(standIn.BaseAddress, Path.Combine(work, "app"), settings: new Dictionary<string, string>
        {
            ["ComfyUi:ModelsDirectory"] = models,
            ["ModelInstall:AllowedPrivateNetworks:0"] = "127.0.0.0/8",
        });
        await app.StartAsync(ct);
        var created = await app.Services.GetRequiredService<SetupState>().CreateFirstAdminAsync("bench", "Benchmark", Password, ct)
            ?? throw new InvalidOperationException("The app already had an admin.");
        var admin = new SignedInUser(created.User.Id, "bench", "Benchmark", IsAdmin: true);
        var root = app.Root;
        using var http = await SignInAsync(root, ct);
        Console.Error.WriteLine("App started; letting its start-up settle…");
        await Task.Delay(TimeSpan.FromSeconds(5), ct);

        using var sampler = new ImageMemoryBenchmark.ResidentSampler();
        var rows = new List<string[]> { Row("cp", cpTime, cpTime, null, null, "-") };

        Console.Error.WriteLine("Upload…");
        var token = await PageTokenAsync(http, ct);
        var (before, started) = (ImageMemoryBenchmark.ResidentSampler.ResidentMb(), Stopwatch.GetTimestamp());
        sampler.ResetPeak();
        string uploadAnswer;
        await using (var body = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"{ModelUploadEndpoints.Path}?kind=checkpoints&name=uploaded.safetensors&server=standin");
            request.Headers.Add("RequestVerificationToken", token);
            request.Content = new StreamContent(body, 1024 * 1024);
            using var response = await http.SendAsync(request, ct);
            uploadAnswer = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}";
        }
        rows.Add(Row("upload", Stopwatch.GetElapsedTime(started), cpTime, before, sampler.Peak, uploadAnswer));

        Console.Error.WriteLine("Download from a loopback server…");
        var installs = app.Services.GetRequiredService<ModelInstalls>();
        (before, started) = (ImageMemoryBenchmark.ResidentSampler.ResidentMb(), Stopwatch.GetTimestamp());
        sampler.ResetPeak();
        var (id, error) = app.Services.GetRequiredService<ModelDownloads>().Enqueue(admin,
            new InstallRequest("checkpoints", "downloaded.safetensors", ["standin"], new Uri(files.Address, "bench.safetensors")));
        InstallProgress? ended = null;
        while (id is not null && (ended = installs.List().FirstOrDefault(p => p.Id == id && p.IsOver)) is null)
        {
            await Task.Delay(5, ct);
        }
        rows.Add(Row("by address", Stopwatch.GetElapsedTime(started), cpTime, before, sampler.Peak, error ?? $"{ended!.State}: {ended.Message}"));

        Write(Console.Out, rows);
        return 0;
    }

    private static string[] Row(string how, TimeSpan time, TimeSpan cp, double? before, double? peak, string answer) =>
    [
        how,
        string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds:0.00} s"),
        string.Create(CultureInfo.InvariantCulture, $"{FileBytes / (1024.0 * 1024) / time.TotalSeconds:N0} MB/s"),
        string.Create(CultureInfo.InvariantCulture, $"{time / cp:0.00}×"),
        before is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{before:N0} MB"),
        peak is null || before is null ? "-" : string.Create(CultureInfo.InvariantCulture, $"{peak - before:N0} MB"),
        answer.Length <= 90 ? answer : answer[..87] + "…",
    ];

    private static void Write(TextWriter output, List<string[]> rows)
    {
        string[] header = ["how", "time", "speed", "vs cp", "RSS before", "RSS peak growth", "answer"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        output.WriteLine();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        output.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))));
        }
        output.WriteLine();
        output.WriteLine($"A {FileBytes >> 20} MiB file; targets: within 1.5× of cp's time, RSS growth under 64 MB. Resident memory of this process (app, client and file server), peak sampled every 5 ms; {Environment.ProcessorCount} CPUs; load average {ModelsBenchmark.LoadAverage()}.");
    }

    /// <summary>A whole safetensors file: one U8 tensor filling it, with non-zero bytes (no sparse file for cp to skip).</summary>
    private static async Task WriteModelAsync(string path, CancellationToken ct)
    {
        byte[] Prefix(long data)
        {
            var header = Encoding.UTF8.GetBytes($"{{\"w\":{{\"dtype\":\"U8\",\"shape\":[{data}],\"data_offsets\":[0,{data}]}}}}");
            var bytes = new byte[8 + header.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
            header.CopyTo(bytes, 8);
            return bytes;
        }
        var prefix = Prefix(FileBytes - Prefix(FileBytes).Length);
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        await file.WriteAsync(prefix, ct);
        var chunk = new byte[1024 * 1024];
        for (var i = 0; i < chunk.Length; i++)
        {
            chunk[i] = (byte)(i * 31 + 7);
        }
        for (var left = FileBytes - prefix.Length; left > 0; left -= chunk.Length)
        {
            await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), ct);
        }
    }

    private static async Task<TimeSpan> CopyAsync(string from, string to, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var cp = Process.Start(new ProcessStartInfo("cp", [from, to]) { UseShellExecute = false }) ?? throw new InvalidOperationException("cp did not start.");
        await cp.WaitForExitAsync(ct);
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Signs in through the real sign-in form, as a browser does.</summary>
    private static async Task<HttpClient> SignInAsync(Uri root, CancellationToken ct)
    {
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = root, Timeout = Timeout.InfiniteTimeSpan };
        var page = await http.GetStringAsync(new Uri("/account/sign-in", UriKind.Relative), ct);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(FormToken().Match(page).Groups[1].Value),
            ["_handler"] = "sign-in",
            ["Input.UserName"] = "bench",
            ["Input.Password"] = Password,
        });
        using var signedIn = await http.PostAsync(new Uri("/account/sign-in", UriKind.Relative), form, ct);
        return http;
    }

    private static async Task<string> PageTokenAsync(HttpClient http, CancellationToken ct)
    {
        var html = await http.GetStringAsync(new Uri("/models/install", UriKind.Relative), ct);
        return WebUtility.HtmlDecode(PageToken().Match(html).Groups[1].Value);
    }

    /// <summary>Serves the file under <c>/{name}</c> with Range support, as a model host does.</summary>
    private static async Task<FileHost> StartFileServerAsync(string path, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var host = builder.Build();
        host.MapGet("/{name}", (string name) => Results.File(path, "application/octet-stream", enableRangeProcessing: true));
        await host.StartAsync(ct);
        return new FileHost(host, new Uri(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/"));
    }

    private sealed record FileHost(WebApplication Host, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Host.StopAsync();
            await Host.DisposeAsync();
        }
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\"[^>]*value=\"([^\"]+)\"")]
    private static partial Regex FormToken();

    [GeneratedRegex("data-antiforgery=\"([^\"]+)\"")]
    private static partial Regex PageToken();
}
