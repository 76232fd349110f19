using ComfyStandIn;

namespace DreamLayer.Benchmark;

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
        await using var standIn = await Workload.StartStandInAsync(Path.Combine(workDirectory, "standin"), ct);
        var data = Path.Combine(workDirectory, "data");
        var first = await MeasureOnceAsync(standIn, data, ct);
        var restart = await MeasureOnceAsync(standIn, data, ct);
        return new MemoryFigures(first, restart);
    }

    private static async Task<ProcessMemory> MeasureOnceAsync(StandInServer standIn, string data, CancellationToken ct)
    {
        await using var app = await AppProcess.StartAsync([standIn.BaseAddress], data, ct);
        await Task.Delay(IdleTime, ct);
        return app.Memory();
    }
}
