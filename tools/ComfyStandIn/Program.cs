using System.Globalization;
using System.Runtime.InteropServices;
using ComfyStandIn;

var options = new StandInOptions();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port": options.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--host" or "--listen": options.Host = Next(); break;
        case "--object-info": options.ObjectInfoPath = Next(); break;
        case "--checkpoints": options.Checkpoints = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
        case "--loras": options.Loras = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
        case "--models-dir": options.ModelsDirectory = Next(); break;
        case "--no-models-routes": options.NoModelsRoutes = true; break;
        case "--vram": options.VramTotal = long.Parse(Next(), CultureInfo.InvariantCulture); options.VramFree = options.VramTotal; break;
        case "--controlnet-aux": options.ControlNetAux = true; break;
        case "--wd14-tagger": options.Wd14Tagger = true; break;
        case "--step-ms": options.StepTime = TimeSpan.FromMilliseconds(double.Parse(Next(), CultureInfo.InvariantCulture)); break;
        case "--preview-method": options.Previews = Next() != "none"; break;
        case "--data-dir": options.DataDirectory = Next(); break;
        case "--lenient-multipart": options.StrictMultipart = false; break;
        case "--no-feature-flags": options.PreviewMetadata = false; break;
        case "--realistic-previews": options.RealisticPreviews = true; break;
        case "--frame-log": options.FrameLogPath = Next(); break;
        default: throw new ArgumentException($"Unknown option {args[i]}");
    }
}

await using var server = await StandInServer.StartAsync(options);
Console.WriteLine($"ComfyUI stand-in listening on {server.BaseAddress}");
Console.WriteLine($"Faults: GET/POST {server.BaseAddress}__standin/faults");
var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
await stop.Task;
await server.StopAsync();

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}
