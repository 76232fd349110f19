using System.Globalization;
using System.Runtime.InteropServices;
using CloudStandIn;

var options = new CloudStandInOptions();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port": options.Port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--host" or "--listen": options.Host = Next(); break;
        case "--only": options.Only = Provider(Next()); break;
        case "--openai-key": options.Keys[CloudProvider.OpenAi] = Next(); break;
        case "--ideogram-key": options.Keys[CloudProvider.Ideogram] = Next(); break;
        case "--bfl-key": options.Keys[CloudProvider.Bfl] = Next(); break;
        case "--url-lifetime": // seconds, for every provider
            var lifetime = TimeSpan.FromSeconds(double.Parse(Next(), CultureInfo.InvariantCulture));
            foreach (var provider in Enum.GetValues<CloudProvider>()) { options.UrlLifetime[provider] = lifetime; }
            break;
        case "--bfl-pending-polls": options.BflPendingPolls = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--bfl-active-tasks": options.BflActiveTaskLimit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"Unknown option {args[i]}");
    }
}

await using var server = await CloudStandInServer.StartAsync(options);
Console.WriteLine($"Cloud stand-in listening on {server.BaseAddress} ({(options.Only is { } only ? only.ToString() : "OpenAI, Ideogram and BFL")})");
Console.WriteLine($"Faults: GET {server.BaseAddress}__standin/faults, GET/POST {server.BaseAddress}__standin/faults/{{openai|ideogram|bfl}}");
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

static CloudProvider Provider(string name) => name.ToLowerInvariant() switch
{
    "openai" => CloudProvider.OpenAi,
    "ideogram" => CloudProvider.Ideogram,
    "bfl" or "flux" => CloudProvider.Bfl,
    _ => throw new ArgumentException($"--only takes openai, ideogram or bfl, not '{name}'"),
};
