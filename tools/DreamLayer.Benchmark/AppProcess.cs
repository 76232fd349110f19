using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace DreamLayer.Benchmark;

/// <summary>Resident memory of an app process, in MB, read from <c>/proc/&lt;pid&gt;/status</c>.</summary>
internal sealed record ProcessMemory(double ResidentMb, double PeakResidentMb);

/// <summary>
/// The app's own Release build as a separate process (<c>dotnet DreamLayer.Web.dll</c>, production settings, a free
/// port) on a data folder, pointed at stand-ins named gpu1..gpuK, as it runs on a server. Its CPU time and memory are
/// read from <c>/proc</c>, so nothing of the benchmark's own work counts in them.
/// </summary>
internal sealed class AppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private int _connected;

    private AppProcess(Process process, Uri root)
    {
        _process = process;
        Root = root;
    }

    public Uri Root { get; }

    public int Pid => _process.Id;

    /// <summary>The build the benchmark was compiled with (Release when run as the README says).</summary>
    public static string AppPath
    {
        get
        {
            var path = typeof(AppProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "WebAppPath").Value;
            return path is not null && File.Exists(path) ? path : throw new FileNotFoundException($"The app's build output is missing: {path}");
        }
    }

    /// <summary>Starts the app and waits until it has connected to every one of <paramref name="servers"/>.</summary>
    public static async Task<AppProcess> StartAsync(IReadOnlyList<Uri> servers, string data, CancellationToken ct, IReadOnlyDictionary<string, string>? settings = null)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { AppPath, "--urls", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}" },
            WorkingDirectory = Path.GetDirectoryName(AppPath),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["Storage__DataDirectory"] = data,
                ["Serilog__WriteTo__1__Args__path"] = Path.Combine(data, "logs", "dreamlayer-.log"),
            },
        };
        for (var i = 0; i < servers.Count; i++)
        {
            start.Environment[$"ComfyUi__Servers__{i}__Name"] = ServerName(i);
            start.Environment[$"ComfyUi__Servers__{i}__Url"] = servers[i].ToString();
        }
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the app.");
        var app = new AppProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is not { } line)
            {
                return;
            }
            lock (app._output)
            {
                app._output.Add(line);
                if (app._output.Count > 200)
                {
                    app._output.RemoveAt(0);
                }
            }
            if (line.Contains("Connected to ComfyUI", StringComparison.Ordinal) && Interlocked.Increment(ref app._connected) == servers.Count)
            {
                connected.TrySetResult();
            }
        }
        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += OnLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync(ct);
        if (await Task.WhenAny(connected.Task, exited, Task.Delay(ConnectTimeout, ct)) != connected.Task)
        {
            var said = app.LastOutput();
            await app.DisposeAsync();
            throw new InvalidOperationException("The app did not connect to the stand-in(s):" + Environment.NewLine + said);
        }
        return app;
    }

    /// <summary>Generous: start-up (migrations, warm-ups, the first server's catalogue) is slow on a loaded machine.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromMinutes(5);

    public static string ServerName(int i) => $"gpu{i + 1}";

    /// <summary>What the app printed last (for an error message).</summary>
    public string LastOutput()
    {
        lock (_output)
        {
            return string.Join(Environment.NewLine, _output.TakeLast(20));
        }
    }

    /// <summary>User plus system CPU time the process has used so far (<c>/proc/&lt;pid&gt;/stat</c>, 10 ms ticks).</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3, utime 14 and stime 15 (1-based, as proc(5) counts them).
        var ticks = long.Parse(fields[14 - 3], CultureInfo.InvariantCulture) + long.Parse(fields[15 - 3], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / (double)ClockTicksPerSecond);
    }

    /// <summary>USER_HZ, which Linux fixes at 100 on every architecture the app runs on.</summary>
    private const int ClockTicksPerSecond = 100;

    public ProcessMemory Memory() => ReadStatus(Pid);

    public static ProcessMemory ReadStatus(int pid)
    {
        var status = File.ReadAllLines($"/proc/{pid}/status");
        double Mb(string key) =>
            status.Where(l => l.StartsWith(key + ":", StringComparison.Ordinal))
                .Select(l => long.Parse(l[(key.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0)
                .Single();
        return new ProcessMemory(Mb("VmRSS"), Mb("VmHWM"));
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
