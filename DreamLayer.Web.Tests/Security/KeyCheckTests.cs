using System.Collections.Concurrent;
using System.Net;
using CloudStandIn;
using DreamLayer.Web.Security;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using Serilog.Events;

namespace DreamLayer.Web.Tests.Security;

/// <summary>
/// The app and the providers' stand-ins the key checks talk to: the model sites (Hugging Face, Civitai) on one port,
/// the cloud providers (OpenAI, Ideogram, BFL) on another, a one-second timeout, and every log event at its most
/// verbose captured (<see cref="Logs"/>) so that a key written anywhere in a log would be found.
/// </summary>
public sealed class KeyCheckSites : IAsyncLifetime
{
    public const string HubToken = "hf_ValidReadToken0123456789abcd";
    public const string HubFineGrained = "hf_FineGrainedNoGated987654efgh";
    public const string CivitaiKey = "civitai0123456789abcdef0123ijkl";

    public ModelSitesStandIn Sites { get; private set; } = null!;

    public CloudStandInServer Cloud { get; private set; } = null!;

    public DreamLayerApp App { get; private set; } = null!;

    public CloudStandInOptions CloudOptions { get; } = new() { Port = 0 };

    /// <summary>Every log event the app wrote: its message, its properties and its exception, as a log sink receives them.</summary>
    public LogCapture Logs { get; } = new();

    public async Task InitializeAsync()
    {
        Sites = await ModelSitesStandIn.StartAsync();
        Sites.HubTokens[HubToken] = new HubToken("ada", "read");
        Sites.HubTokens[HubFineGrained] = new HubToken("ada", "fineGrained", CanReadGatedRepos: false);
        Sites.CivitaiKeys[CivitaiKey] = ("grace", "active");
        Cloud = await CloudStandInServer.StartAsync(CloudOptions);
        App = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["KeyChecks:Timeout"] = "00:00:01",
            ["KeyChecks:BaseUrls:HuggingFace"] = Sites.BaseAddress.ToString(),
            ["KeyChecks:BaseUrls:Civitai"] = Sites.BaseAddress.ToString(),
            // The cloud providers' checks follow the address their pictures are asked at.
            ["Cloud:OpenAI:BaseUrl"] = new Uri(Cloud.BaseAddress, "v1").ToString(),
            ["Cloud:Ideogram:BaseUrl"] = Cloud.BaseAddress.ToString(),
            ["Cloud:Bfl:BaseUrl"] = Cloud.BaseAddress.ToString(),
            ["Serilog:MinimumLevel:Default"] = "Verbose",
            ["Serilog:MinimumLevel:Override:System.Net.Http.HttpClient"] = "Verbose",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
            ["Logging:LogLevel:Default"] = "Trace",
        }, services: s =>
        {
            s.AddSingleton<ILogEventSink>(Logs);
            s.AddSingleton<ILoggerProvider>(Logs);
        });
    }

    /// <summary>The key each provider accepts.</summary>
    public string GoodKey(KeyProvider provider) => provider.Id switch
    {
        "HuggingFace" => HubToken,
        "Civitai" => CivitaiKey,
        "OpenAI" => CloudOptions.Keys[CloudProvider.OpenAi],
        "Ideogram" => CloudOptions.Keys[CloudProvider.Ideogram],
        _ => CloudOptions.Keys[CloudProvider.Bfl],
    };

    public static CloudProvider? CloudOf(KeyProvider provider) => provider.Id switch
    {
        "OpenAI" => CloudProvider.OpenAi,
        "Ideogram" => CloudProvider.Ideogram,
        "BlackForestLabs" => CloudProvider.Bfl,
        _ => null,
    };

    /// <summary>Clears every fault of every stand-in.</summary>
    public void Reset()
    {
        Sites.Reset();
        foreach (var provider in Enum.GetValues<CloudProvider>())
        {
            Cloud.Faults(provider).Reset();
        }
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await Cloud.DisposeAsync();
        await Sites.DisposeAsync();
    }
}

/// <summary>
/// The Test of each stored key on /settings/keys: one unbilled call to the provider, its answer in words (valid, refused,
/// rate limited, down, no answer), kept with when it was checked; admins only; the key never in a log or the page.
/// </summary>
public sealed class KeyCheckTests(KeyCheckSites sites) : IClassFixture<KeyCheckSites>
{
    public static TheoryData<string> Checkable => new(KeyChecks.All.Select(c => c.Provider.Id));

    private DreamLayerApp App => sites.App;

    private KeyChecks Checks => App.Get<KeyChecks>();

    private async Task<KeyCheckResult> TestWithAsync(KeyProvider provider, string key)
    {
        Assert.Null(await App.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, provider, key, default));
        return await Checks.TestAsync(actorIsAdmin: true, provider, default) ?? throw new InvalidOperationException("The key was not tested.");
    }

    [Theory]
    [MemberData(nameof(Checkable))]
    public async Task Valid_SaysWhoOrWhatTheKeyReaches_AndSendsItTheProvidersWay(string id)
    {
        var provider = KeyProviders.All.Single(p => p.Id == id);
        sites.Reset();
        var requestsBefore = sites.Cloud.Requests.Count;

        var result = await TestWithAsync(provider, sites.GoodKey(provider));

        Assert.Equal(KeyCheckOutcome.Valid, result.Outcome);
        Assert.StartsWith("Valid: ", result.Message, StringComparison.Ordinal);
        Assert.Contains(id switch
        {
            "HuggingFace" => "user ada (a read token)",
            "Civitai" => "user grace",
            "OpenAI" => "OpenAI lists 3 models for this key",
            "Ideogram" => "an organization admin's key (the organization has 2 API keys)",
            _ => "10,000 credits left",
        }, result.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderKeys.Mask(sites.GoodKey(provider)), result.Masked);
        if (KeyCheckSites.CloudOf(provider) is { } cloud)
        {
            var request = Assert.Single(sites.Cloud.Requests.Skip(requestsBefore));
            Assert.Equal((cloud, "GET", sites.GoodKey(provider), false), (request.Provider, request.Method, request.Key, request.Accepted));
            Assert.Empty(sites.Cloud.Accepted); // nothing billed
        }
        else
        {
            Assert.Equal("Bearer " + sites.GoodKey(provider), sites.Sites.Authorizations.Last());
        }
    }

    [Theory]
    [MemberData(nameof(Checkable))]
    public async Task WrongKey_IsRefused_InWords(string id)
    {
        var provider = KeyProviders.All.Single(p => p.Id == id);
        sites.Reset();

        var result = await TestWithAsync(provider, "wrong-key-0000000000000000zzzz");

        Assert.Equal(KeyCheckOutcome.Refused, result.Outcome);
        Assert.Equal(id switch
        {
            "HuggingFace" => "Refused: the token is invalid or expired (Hugging Face answered 401).",
            "Civitai" => "Refused: Civitai does not accept the key; it is invalid or was revoked (401).",
            "OpenAI" => "Refused: OpenAI says the key is incorrect or was revoked (401).",
            "Ideogram" => "Refused: Ideogram does not accept the key (401).",
            _ => "Refused: Black Forest Labs does not accept the key (403).",
        }, result.Message);
        Assert.DoesNotContain("wrong-key", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Checkable))]
    public async Task RateLimited_SaysWhenToTryAgain(string id)
    {
        var provider = KeyProviders.All.Single(p => p.Id == id);
        var result = await TestFaultedAsync(provider, () => Fail(provider, Rejection.RateLimited, HttpStatusCode.TooManyRequests, retryAfter: 30));

        Assert.Equal(KeyCheckOutcome.RateLimited, result.Outcome);
        Assert.Equal($"Rate limited: {provider.Name} asks to wait 30 seconds (429); the key is not checked. Test again then.", result.Message);
    }

    [Theory]
    [MemberData(nameof(Checkable))]
    public async Task ProviderDown_SaysSoAndThatTheKeyIsNotChecked(string id)
    {
        var provider = KeyProviders.All.Single(p => p.Id == id);
        var result = await TestFaultedAsync(provider, () => Fail(provider, Rejection.Unavailable, HttpStatusCode.ServiceUnavailable));

        Assert.Equal(KeyCheckOutcome.ProviderDown, result.Outcome);
        Assert.Equal($"{provider.Name} is having trouble (503 Service Unavailable); the key is not checked. Test again later.", result.Message);
    }

    [Theory]
    [MemberData(nameof(Checkable))]
    public async Task HangingServer_EndsAtTheTimeout_SayingSo(string id)
    {
        var provider = KeyProviders.All.Single(p => p.Id == id);
        var result = await TestFaultedAsync(provider, () =>
        {
            if (KeyCheckSites.CloudOf(provider) is { } cloud)
            {
                sites.Cloud.Faults(cloud).KeyCheckHang = true;
            }
            else
            {
                sites.Sites.Hang = true;
            }
        });

        Assert.Equal(KeyCheckOutcome.NoAnswer, result.Outcome);
        Assert.Equal("No answer from 127.0.0.1 within 1 second; the key is not checked. Test again later.", result.Message);
    }

    /// <summary>Tests the provider's good key with a fault switched on, and switches every fault off again.</summary>
    private async Task<KeyCheckResult> TestFaultedAsync(KeyProvider provider, Action fault)
    {
        sites.Reset();
        fault();
        try
        {
            return await TestWithAsync(provider, sites.GoodKey(provider));
        }
        finally
        {
            sites.Reset();
        }
    }

    [Fact]
    public async Task NoCredits_AreNamed_ForTheCloudProviders()
    {
        sites.Reset();
        try
        {
            foreach (var provider in new[] { KeyProviders.OpenAI, KeyProviders.Ideogram, KeyProviders.BlackForestLabs })
            {
                sites.Cloud.Faults(KeyCheckSites.CloudOf(provider)!.Value).KeyCheckReject = Rejection.NoCredits;
                var result = await TestWithAsync(provider, sites.GoodKey(provider));
                Assert.Equal(KeyCheckOutcome.NoCredit, result.Outcome);
                Assert.Contains(provider == KeyProviders.OpenAI ? "no quota left (insufficient_quota)" : "has no credits left (402)", result.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            sites.Reset();
        }
    }

    [Fact]
    public async Task FineGrainedHubToken_WithoutGatedRead_IsValidButSaysGatedDownloadsWillBeRefused()
    {
        sites.Reset();
        var result = await TestWithAsync(KeyProviders.HuggingFace, KeyCheckSites.HubFineGrained);

        Assert.Equal(KeyCheckOutcome.Valid, result.Outcome);
        Assert.StartsWith("Valid: user ada, but this fine-grained token may not read public gated repositories", result.Message, StringComparison.Ordinal);
        Assert.Contains("downloads of gated models will be refused", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdeogramMembersKey_IsValid_ThoughIdeogramShowsNoAccountDetails()
    {
        sites.Reset();
        var result = await TestWithAsync(KeyProviders.Ideogram, sites.CloudOptions.IdeogramMemberKey);

        Assert.Equal(KeyCheckOutcome.Valid, result.Outcome);
        Assert.Equal("Valid: Ideogram accepts the key. Its owner is not an organization admin, so Ideogram shows no account details.", result.Message);
    }

    [Fact]
    public async Task MemberMayNotTest_NoKeyOrComfyOrg_IsNotTested()
    {
        var keys = App.Get<ProviderKeys>();
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => Checks.TestAsync(actorIsAdmin: false, KeyProviders.OpenAI, default));

        await keys.RemoveAsync(actorIsAdmin: true, KeyProviders.Civitai, default);
        Assert.Null(await Checks.TestAsync(actorIsAdmin: true, KeyProviders.Civitai, default));

        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, "comfyui-stored-key-4444", default));
        Assert.Null(KeyChecks.For(KeyProviders.ComfyOrg));
        Assert.Null(await Checks.TestAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, default));
        Assert.StartsWith("Comfy.org documents no call that checks an API key without running a paid node", KeyChecks.WhyNotChecked(KeyProviders.ComfyOrg), StringComparison.Ordinal);
        await keys.RemoveAsync(actorIsAdmin: true, KeyProviders.ComfyOrg, default);
    }

    [Fact]
    public async Task LastCheck_IsKeptWithItsTime_ShownOnThePage_AndForgottenWhenTheKeyChanges()
    {
        sites.Reset();
        var result = await TestWithAsync(KeyProviders.Civitai, KeyCheckSites.CivitaiKey);
        Assert.Equal(result, (await Checks.LastAsync(default))["Civitai"]);

        await App.Get<ProviderKeys>().RemoveAsync(actorIsAdmin: true, KeyProviders.BlackForestLabs, default);
        using var admin = await App.CreateClientAsync(App.Admin);
        var html = WebUtility.HtmlDecode(await admin.GetStringAsync(new Uri("/settings/keys", UriKind.Relative)));
        Assert.Contains("Valid: user grace.", html, StringComparison.Ordinal);
        Assert.Contains($"Checked <time datetime=\"{result.CheckedAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}\"", html, StringComparison.Ordinal);
        Assert.Contains("Save a key to test it", html, StringComparison.Ordinal); // a provider without a key
        Assert.Contains("Comfy.org documents no call that checks an API key", html, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyCheckSites.CivitaiKey, html, StringComparison.Ordinal);

        Assert.Null(await App.Get<ProviderKeys>().SetAsync(actorIsAdmin: true, KeyProviders.Civitai, "civitai-another-key-0000", default));
        Assert.False((await Checks.LastAsync(default)).ContainsKey("Civitai"));
    }

    [Fact]
    public async Task KeysAreNeverInTheLogs_NorInAnyMessage()
    {
        sites.Reset();
        var tested = new List<(KeyProvider Provider, string Key)>();
        foreach (var check in KeyChecks.All)
        {
            var good = sites.GoodKey(check.Provider);
            var wrong = $"{check.Provider.Id}-wrong-secret-0123456789";
            Assert.DoesNotContain(good, (await TestWithAsync(check.Provider, good)).Message, StringComparison.Ordinal);
            Assert.DoesNotContain(wrong, (await TestWithAsync(check.Provider, wrong)).Message, StringComparison.Ordinal);
            tested.Add((check.Provider, good));
            tested.Add((check.Provider, wrong));
        }

        var logs = sites.Logs.Text;
        Assert.Contains("Key check of \"OpenAI\": Valid", logs, StringComparison.Ordinal); // the log is written, at its most verbose
        foreach (var (provider, key) in tested)
        {
            Assert.False(logs.Contains(key, StringComparison.Ordinal), $"The {provider.Name} key is in the log.");
            Assert.False(logs.Contains(key[^12..], StringComparison.Ordinal), $"Part of the {provider.Name} key is in the log.");
        }
    }

    private void Fail(KeyProvider provider, Rejection rejection, HttpStatusCode status, int? retryAfter = null)
    {
        if (KeyCheckSites.CloudOf(provider) is { } cloud)
        {
            sites.Cloud.Faults(cloud).KeyCheckReject = rejection;
            sites.Cloud.Faults(cloud).RetryAfterSeconds = retryAfter;
        }
        else
        {
            sites.Sites.FailWith = (int)status;
            sites.Sites.RetryAfterSeconds = retryAfter;
        }
    }
}

/// <summary>
/// Keeps every log event as text (the rendered message, every property, the exception), whichever logging pipeline
/// the app's host ends up with: as a Serilog sink and as a logging provider.
/// </summary>
public sealed class LogCapture : ILogEventSink, ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        _lines.Enqueue($"{logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture)} {string.Join(' ', logEvent.Properties.Select(p => $"{p.Key}={p.Value}"))} {logEvent.Exception}");
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(' ', pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
            capture._lines.Enqueue($"{formatter(state, exception)} {properties} {exception}");
        }
    }
}

/// <summary>What the network does, in words: a name that does not resolve, a port nobody listens on.</summary>
public sealed class KeyCheckNetworkTests
{
    [Fact]
    public async Task UnknownName_AndRefusedConnection_AreSaidInWords()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var app = await DreamLayerApp.StartAsync(settings: new Dictionary<string, string?>
        {
            ["KeyChecks:BaseUrls:OpenAI"] = "http://no-such-host.invalid/",
            ["KeyChecks:BaseUrls:Civitai"] = $"http://127.0.0.1:{closedPort}/",
        });
        var keys = app.Get<ProviderKeys>();
        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.OpenAI, "sk-some-key-0123456789", default));
        Assert.Null(await keys.SetAsync(actorIsAdmin: true, KeyProviders.Civitai, "civitai-some-key-0123456789", default));

        var dns = await app.Get<KeyChecks>().TestAsync(actorIsAdmin: true, KeyProviders.OpenAI, default);
        var refused = await app.Get<KeyChecks>().TestAsync(actorIsAdmin: true, KeyProviders.Civitai, default);

        Assert.Equal(KeyCheckOutcome.Unreachable, dns!.Outcome);
        Assert.Equal("no-such-host.invalid could not be found (no address for that name); check this server's network and DNS. The key is not checked.", dns.Message);
        Assert.Equal(KeyCheckOutcome.Unreachable, refused!.Outcome);
        Assert.StartsWith("Could not connect to 127.0.0.1 (", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("); the key is not checked.", refused.Message, StringComparison.Ordinal);
    }
}
