using ComfyStandIn;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>
/// The real app on real Kestrel (a loopback port), with its own data folder, pointed at a ComfyUI stand-in
/// (or at a closed port). Dispose to stop both and delete the data.
/// </summary>
public sealed class DreamLayerApp : WebApplicationFactory<Program>
{
    private readonly IReadOnlyList<string> _comfyUrls;
    private readonly IReadOnlyDictionary<string, string?> _settings;

    private readonly bool _ownsStandIn;
    private readonly bool _ownsData;
    private readonly bool _seedUsers;

    /// <summary>Replaces or adds services before the app starts (a clock, a fault to inject).</summary>
    private Action<IServiceCollection>? _services;

    private DreamLayerApp(string comfyUrl, StandInServer? standIn, IReadOnlyDictionary<string, string?>? settings, string? dataDirectory = null, bool ownsStandIn = true, bool seedUsers = true)
        : this([comfyUrl], standIn is null ? [] : [standIn], settings, dataDirectory, ownsStandIn, seedUsers)
    {
    }

    private DreamLayerApp(IReadOnlyList<string> comfyUrls, IReadOnlyList<StandInServer> standIns, IReadOnlyDictionary<string, string?>? settings, string? dataDirectory, bool ownsStandIn, bool seedUsers = true)
    {
        _comfyUrls = comfyUrls;
        _seedUsers = seedUsers;
        StandIns = [.. standIns];
        _ownsStandIn = ownsStandIn;
        _settings = settings ?? new Dictionary<string, string?>();
        _ownsData = dataDirectory is null;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "dreamlayer-test-" + Guid.NewGuid().ToString("N"));
        UseKestrel(0);
    }

    /// <summary>The first stand-in (the only one for most tests).</summary>
    public StandInServer? StandIn => StandIns.Count > 0 ? StandIns[0] : null;

    /// <summary>The stand-ins, in the order of <c>ComfyUi:Servers</c> (named <c>standin</c>, <c>standin1</c>, <c>standin2</c>, ...).</summary>
    public List<StandInServer> StandIns { get; }

    public string DataDirectory { get; }

    /// <summary>The app's own address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri RootUri { get; private set; } = null!;

    /// <summary>
    /// Starts a stand-in (step time as given) and the app against it, and waits until the app is connected.
    /// The app has the accounts of <see cref="TestUsers"/> unless <paramref name="seedUsers"/> is false (first start).
    /// </summary>
    public static async Task<DreamLayerApp> StartAsync(TimeSpan? stepTime = null, IReadOnlyDictionary<string, string?>? settings = null, StandInOptions? standInOptions = null, bool seedUsers = true,
        Action<IServiceCollection>? services = null)
    {
        var options = standInOptions ?? new StandInOptions();
        options.Port = 0;
        options.StepTime = stepTime ?? TimeSpan.FromMilliseconds(20);
        var standIn = await StandInServer.StartAsync(options);
        var app = new DreamLayerApp(standIn.BaseAddress.ToString(), standIn, settings, seedUsers: seedUsers) { _services = services };
        app.Start();
        await WaitUntilAsync(() => app.Backend.IsOnline, "the app to connect to the stand-in");
        return app;
    }

    /// <summary>
    /// A second app process on the same database and images, against a stand-in that keeps running: what an
    /// app restart looks like. The caller keeps owning the stand-in and the data folder.
    /// </summary>
    public static async Task<DreamLayerApp> StartAgainstAsync(StandInServer standIn, string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var app = new DreamLayerApp(standIn.BaseAddress.ToString(), standIn, settings, dataDirectory, ownsStandIn: false) { _services = services };
        app.Start();
        await WaitUntilAsync(() => app.Backend.IsOnline, "the app to connect to the stand-in");
        return app;
    }

    /// <summary>Starts one stand-in per option set and the app against all of them, and waits until it is connected to each.</summary>
    public static async Task<DreamLayerApp> StartManyAsync(IReadOnlyList<StandInOptions> servers, IReadOnlyDictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var standIns = new List<StandInServer>();
        foreach (var options in servers)
        {
            options.Port = 0;
            standIns.Add(await StandInServer.StartAsync(options));
        }
        var app = new DreamLayerApp(standIns.Select(s => s.BaseAddress.ToString()).ToList(), standIns, settings, dataDirectory, ownsStandIn: true);
        app.Start();
        await WaitUntilAsync(() => app.Backends.All(b => b.IsOnline), "the app to connect to every stand-in");
        return app;
    }

    /// <summary>A second app on the same database and the same stand-ins (which keep running): an app restart.</summary>
    public static async Task<DreamLayerApp> StartAgainstAsync(IReadOnlyList<StandInServer> standIns, string dataDirectory, IReadOnlyDictionary<string, string?>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(standIns);
        var app = new DreamLayerApp(standIns.Select(s => s.BaseAddress.ToString()).ToList(), standIns, settings, dataDirectory, ownsStandIn: false);
        app.Start();
        await WaitUntilAsync(() => app.Backends.All(b => b.IsOnline), "the app to connect to every stand-in");
        return app;
    }

    /// <summary>The name the app knows stand-in <paramref name="index"/> by.</summary>
    public static string ServerName(int index) => index == 0 ? "standin" : $"standin{index}";

    public IReadOnlyList<ComfyBackend> Backends => Services.GetRequiredService<BackendPool>().Backends;

    /// <summary>Stops stand-in <paramref name="index"/> like a killed ComfyUI (its queue and history are lost).</summary>
    public Task KillStandInAsync(int index) => StandIns[index].StopAsync();

    /// <summary>Starts a fresh stand-in on the port of stand-in <paramref name="index"/>: the server comes back.</summary>
    public async Task ReviveStandInAsync(int index, StandInOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var old = StandIns[index];
        await old.StopAsync();
        options.Port = old.BaseAddress.Port;
        StandIns[index] = await StandInServer.StartAsync(options);
        await old.DisposeAsync();
    }

    /// <summary>Starts the app against an address where nothing listens.</summary>
    public static DreamLayerApp StartWithoutServer(string comfyUrl)
    {
        var app = new DreamLayerApp(comfyUrl, null, null);
        app.Start();
        return app;
    }

    public TestUser Admin { get; } = TestUsers.Admin;
    public TestUser Alice { get; } = TestUsers.Alice;
    public TestUser Bob { get; } = TestUsers.Bob;

    /// <summary>One more account (cheap: the password hash is shared); its password is <see cref="TestUsers.Password"/>.</summary>
    public async Task<TestUser> CreateUserAsync(string userName, string role)
    {
        var user = new TestUser("test-" + userName, userName, userName, role);
        await TestUsers.EnsureAsync(Services, user);
        return user;
    }

    /// <summary>An HTTP client signed in as this person through the sign-in form. It does not follow redirects.</summary>
    public async Task<HttpClient> CreateClientAsync(TestUser user)
    {
        ArgumentNullException.ThrowIfNull(user);
        var http = AccountHttp.NewClient(RootUri);
        using var response = await AccountHttp.PostSignInAsync(http, user.UserName, user.Password);
        if (response.StatusCode != System.Net.HttpStatusCode.Found)
        {
            http.Dispose();
            throw new InvalidOperationException($"Signing in as {user.UserName} answered {(int)response.StatusCode}.");
        }
        return http;
    }

    /// <summary>An HTTP client no one signed in with. It does not follow redirects.</summary>
    public HttpClient CreateAnonymousClient() => AccountHttp.NewClient(RootUri);

    public ComfyBackend Backend => Services.GetRequiredService<BackendPool>().Backends[0];

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public DreamLayerDbContext CreateDbContext() => Services.GetRequiredService<IDbContextFactory<DreamLayerDbContext>>().CreateDbContext();

    /// <summary>Replaces the stand-in with a fresh one on the same port and data folder, like a ComfyUI restart.</summary>
    public async Task RestartStandInAsync(StandInOptions? options = null)
    {
        var old = StandIn ?? throw new InvalidOperationException("No stand-in.");
        await old.StopAsync();
        var next = options ?? new StandInOptions();
        next.Port = old.BaseAddress.Port;
        StandIns[0] = await StandInServer.StartAsync(next);
    }

    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(30);
        while (!condition())
        {
            if (waited.Elapsed > limit)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }
            await Task.Delay(20);
        }
    }

    private void Start()
    {
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        RootUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal) + "/");
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development the host does not read the static web assets manifest, so framework and
        // package files (blazor.web.js, MudBlazor) would not be served to a browser.
        builder.UseStaticWebAssets();
        for (var i = 0; i < _comfyUrls.Count; i++)
        {
            builder.UseSetting($"ComfyUi:Servers:{i}:Name", ServerName(i));
            builder.UseSetting($"ComfyUi:Servers:{i}:Url", _comfyUrls[i]);
        }
        builder.UseSetting("ComfyUi:ReconnectMinDelay", "00:00:00.100");
        builder.UseSetting("ComfyUi:ReconnectMaxDelay", "00:00:01");
        // The warm-up only makes an app's first job faster, and costs each of the many apps a run starts; a test of
        // the warm-up itself passes ComfyUi:WarmUp=true in its settings.
        builder.UseSetting("ComfyUi:WarmUp", "false");
        builder.UseSetting("Storage:DataDirectory", DataDirectory);
        // The log file goes to this app's data folder. Not through UseSetting: the test host hands those settings to the app
        // as command-line arguments, parents included ("Serilog:WriteTo:1" = ""), which Serilog reads as a sink with an
        // empty name, and so builds no file sink at all.
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(
            [new KeyValuePair<string, string?>("Serilog:WriteTo:1:Args:path", Path.Combine(DataDirectory, "logs", "dreamlayer-.log"))]));
        builder.UseSetting("Serilog:MinimumLevel:Default", Environment.GetEnvironmentVariable("DREAMLAYER_TEST_LOGLEVEL") ?? "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
        if (_seedUsers)
        {
            builder.ConfigureServices(services => services.AddHostedService<TestUserSeeder>());
        }
        if (_services is { } configure)
        {
            builder.ConfigureServices(configure);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsStandIn)
        {
            foreach (var standIn in StandIns)
            {
                await standIn.DisposeAsync();
            }
        }
        if (!_ownsData)
        {
            GC.SuppressFinalize(this);
            return;
        }
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a closing handle; the temp folder is cleaned by the OS.
        }
        GC.SuppressFinalize(this);
    }
}
