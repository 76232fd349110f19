using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ComfyStandIn;

namespace DreamLayer.Benchmark;

/// <summary>
/// The stand-in as its own process, as ComfyUI is in production: the app's garbage collections and thread pool then
/// never stall the server's work, and the server's never stall the app's. Zero step time, previews on.
/// </summary>
internal sealed class StandInProcess : IAsyncDisposable
{
    private readonly Process _process;

    private StandInProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Starts a stand-in with zero step time, or <paramref name="stepMs"/> and any further command-line <paramref name="options"/>.</summary>
    public static async Task<StandInProcess> StartAsync(string dataDirectory, CancellationToken ct, int stepMs = 0, params string[] options)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { typeof(StandInServer).Assembly.Location, "--listen", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--step-ms", stepMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "--preview-method", "auto", "--data-dir", dataDirectory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var option in options)
        {
            start.ArgumentList.Add(option);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the stand-in.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var standIn = new StandInProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        using var http = new HttpClient { BaseAddress = standIn.BaseAddress };
        var deadline = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("system_stats", UriKind.Relative), ct);
                if (response.IsSuccessStatusCode)
                {
                    return standIn;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (process.HasExited || Stopwatch.GetElapsedTime(deadline) > Workload.JobTimeout)
            {
                await standIn.DisposeAsync();
                throw new InvalidOperationException($"The stand-in did not start on port {port}.");
            }
            await Task.Delay(50, ct);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }
        _process.Dispose();
    }
}
