using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using ComfyStandIn;

namespace DreamLayer.Benchmark;

/// <summary>Resident memory of an app process, in MB, read from <c>/proc/&lt;pid&gt;/status</c>.</summary>
internal sealed record ProcessMemory(double ResidentMb, double PeakResidentMb);

/// <summary>
/// The app idle after its first start on an empty data folder (which creates the database) and after a restart on
/// that folder (the everyday case: nothing to migrate).
/// </summary>
internal sealed record MemoryFigures(ProcessMemory FirstStart, ProcessMemory Restart);

/// <summary>
/// Starts the app's own Release build as a separate process (<c>dotnet DreamLayer.Web.dll</c>, production
/// settings, a free port, a temporary data folder) against a stand-in, waits until it is connected and
/// then idle, reads its resident memory and stops it; then starts it again on the same data folder.
/// </summary>
internal sealed class IdleMemory(string workDirectory)
{
    public static readonly TimeSpan IdleTime = TimeSpan.FromSeconds(10);

    public async Task<MemoryFigures> MeasureAsync(CancellationToken ct)
    {
        var appPath = typeof(IdleMemory).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WebAppPath").Value;
        if (appPath is null || !File.Exists(appPath))
        {
            throw new FileNotFoundException($"The app's build output is missing: {appPath}");
        }
        await using var standIn = await Workload.StartStandInAsync(Path.Combine(workDirectory, "standin"), ct);
        var data = Path.Combine(workDirectory, "data");
        var first = await MeasureOnceAsync(appPath, standIn, data, ct);
        var restart = await MeasureOnceAsync(appPath, standIn, data, ct);
        return new MemoryFigures(first, restart);
    }

    private static async Task<ProcessMemory> MeasureOnceAsync(string appPath, StandInServer standIn, string data, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { appPath, "--urls", "http://127.0.0.1:0" },
            WorkingDirectory = Path.GetDirectoryName(appPath),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ComfyUi__Servers__0__Name"] = "standin",
                ["ComfyUi__Servers__0__Url"] = standIn.BaseAddress.ToString(),
                ["Storage__DataDirectory"] = data,
                ["Serilog__WriteTo__1__Args__path"] = Path.Combine(data, "logs", "dreamlayer-.log"),
            },
        };

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not { } line)
            {
                return;
            }
            lock (output)
            {
                output.Add(line);
            }
            if (line.Contains("Connected to ComfyUI", StringComparison.Ordinal))
            {
                connected.TrySetResult();
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var exited = process.WaitForExitAsync(ct);
            if (await Task.WhenAny(connected.Task, exited, Task.Delay(TimeSpan.FromSeconds(60), ct)) != connected.Task)
            {
                lock (output)
                {
                    throw new InvalidOperationException("The app did not connect to the stand-in:" + Environment.NewLine + string.Join(Environment.NewLine, output.TakeLast(20)));
                }
            }
            await Task.Delay(IdleTime, ct);
            return ReadStatus(process.Id);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    private static ProcessMemory ReadStatus(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        double Mb(string key) =>
            status.Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
                .Select(l => long.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0)
                .Single();
        return new ProcessMemory(Mb("VmRSS"), Mb("VmHWM"));
    }
}
