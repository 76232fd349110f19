namespace ComfyStandIn;

/// <summary>A host lifetime that leaves process signals alone; whoever embeds the server decides when it stops.</summary>
internal sealed class QuietLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
