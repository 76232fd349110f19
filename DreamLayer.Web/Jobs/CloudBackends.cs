using System.Collections.Concurrent;
using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Data;
using DreamLayer.Web.Security;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Jobs;

/// <summary>A cloud provider as a backend of the queue, as the Backends page shows it.</summary>
/// <param name="Enabled">A key is stored or set by the environment: the provider takes jobs.</param>
public sealed record CloudBackendStatus(CloudProviderId Provider, string Name, bool Enabled, int MaxInFlight, int InFlight, string? LastError, DateTime? LastErrorAt);

/// <summary>
/// The cloud providers as backends of the one queue: a provider is enabled while it has a key (stored, or set by the
/// environment), and takes at most its own number of jobs at once (admin-set, stored like the other settings, default
/// <see cref="DefaultMaxInFlight"/>). Keeps each provider's last error with its time for the Backends page.
/// </summary>
public sealed class CloudBackends(IDbContextFactory<DreamLayerDbContext> dbFactory, ProviderKeys keys, JobSignal signal, TimeProvider time)
{
    public const int DefaultMaxInFlight = 2;
    public const int MinInFlight = 1;
    public const int MaxInFlightLimit = 100;


    private readonly ConcurrentDictionary<CloudProviderId, (string Message, DateTime At)> _lastErrors = new();
    private volatile IReadOnlyDictionary<CloudProviderId, int>? _caps;
    private volatile EnabledProviders? _enabled;
    private int _version;

    /// <summary>The key that enables a provider.</summary>
    public static KeyProvider KeyOf(CloudProviderId provider) => provider switch
    {
        CloudProviderId.OpenAi => KeyProviders.OpenAI,
        CloudProviderId.Ideogram => KeyProviders.Ideogram,
        _ => KeyProviders.BlackForestLabs,
    };

    public static string SettingKey(CloudProviderId provider) => $"Cloud.{provider}.MaxJobsInFlight";

    /// <summary>
    /// The providers that have a key now. Read from the keys once, then kept until a stored key is set or removed
    /// (<see cref="ProviderKeys.Version"/>; configured keys do not change while the app runs), so the dispatcher's
    /// rounds and a job's steps never read the database for it.
    /// </summary>
    public async ValueTask<IReadOnlyList<CloudProviderId>> EnabledAsync(CancellationToken ct)
    {
        var version = keys.Version;
        if (_enabled is { } known && known.KeysVersion == version)
        {
            return known.Providers;
        }
        var enabled = new List<CloudProviderId>();
        foreach (var provider in CloudCatalog.Providers)
        {
            if (await keys.GetAsync(KeyOf(provider), ct) is not null)
            {
                enabled.Add(provider);
            }
        }
        // A key changed while this was read is read again next time: the version read first is the one kept.
        _enabled = new EnabledProviders(enabled, version);
        return enabled;
    }

    private sealed record EnabledProviders(IReadOnlyList<CloudProviderId> Providers, int KeysVersion);

    /// <summary>The key to send a job with; null when none is set (any more).</summary>
    public async Task<CloudKey?> KeyAsync(CloudProviderId provider, CancellationToken ct) =>
        await keys.GetAsync(KeyOf(provider), ct) is { } key ? new CloudKey(key) : null;

    /// <summary>Each provider's cap of jobs at once.</summary>
    public async ValueTask<IReadOnlyDictionary<CloudProviderId, int>> CapsAsync(CancellationToken ct)
    {
        if (_caps is { } known)
        {
            return known;
        }
        var version = Volatile.Read(ref _version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var names = CloudCatalog.Providers.Select(SettingKey).ToList();
        var stored = await db.Settings.AsNoTracking().Where(s => names.Contains(s.Key)).ToDictionaryAsync(s => s.Key, s => s.Value, ct);
        var caps = CloudCatalog.Providers.ToDictionary(p => p, p =>
            stored.TryGetValue(SettingKey(p), out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var cap) ? cap : DefaultMaxInFlight);
        if (Volatile.Read(ref _version) == version)
        {
            _caps = caps;
        }
        return caps;
    }

    /// <summary>Sets how many jobs a provider takes at once. Null when done, otherwise what is wrong.</summary>
    public async Task<string?> SetCapAsync(SignedInUser actor, CloudProviderId provider, int cap, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins set how many jobs a cloud provider takes at once.");
        }
        if (cap is < MinInFlight or > MaxInFlightLimit)
        {
            return $"Jobs at once for {CloudCatalog.NameOf(provider)} must be between {MinInFlight} and {MaxInFlightLimit}.";
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await AppSettings.WriteAsync(db, SettingKey(provider), cap.ToString(CultureInfo.InvariantCulture), ct);
        Interlocked.Increment(ref _version);
        _caps = null;
        signal.Notify();
        return null;
    }

    /// <summary>A provider failed a job: kept, with the time, for the Backends page.</summary>
    public void RecordError(CloudProviderId provider, string message) => _lastErrors[provider] = (message, time.GetUtcNow().UtcDateTime);

    public (string Message, DateTime At)? LastError(CloudProviderId provider) => _lastErrors.TryGetValue(provider, out var error) ? error : null;

    /// <summary>Every provider as the Backends page lists it: enabled or not, its cap, jobs at it now, its last error.</summary>
    /// <param name="inFlight">How many of the provider's jobs run now (<see cref="CloudRunner.InFlightCount"/>).</param>
    public async Task<IReadOnlyList<CloudBackendStatus>> StatusAsync(Func<CloudProviderId, int> inFlight, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inFlight);
        var enabled = await EnabledAsync(ct);
        var caps = await CapsAsync(ct);
        return
        [
            .. CloudCatalog.Providers.Select(p => LastError(p) is { } error
                ? new CloudBackendStatus(p, CloudCatalog.NameOf(p), enabled.Contains(p), caps[p], inFlight(p), error.Message, error.At)
                : new CloudBackendStatus(p, CloudCatalog.NameOf(p), enabled.Contains(p), caps[p], inFlight(p), null, null)),
        ];
    }

    /// <summary>
    /// Checks a cloud request before it is queued: the provider and model exist, the provider has a key, and the model
    /// takes what the request asks (<see cref="CloudRequestValidator"/>, each problem on its field).
    /// </summary>
    public async Task<IReadOnlyList<FieldError>> ValidateAsync(GenerationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Cloud is not { } cloud)
        {
            return [];
        }
        if (!CloudCatalog.TryParse(cloud.Provider, out var provider))
        {
            return [new FieldError(CloudRequestValidator.ModelField, $"There is no cloud provider '{cloud.Provider}'.")];
        }
        if (request.Mode != GenerationMode.Txt2Img)
        {
            return [new FieldError(CloudRequestValidator.ModelField, $"{CloudCatalog.NameOf(provider)} models make pictures from a prompt here (Txt2Img) only.")];
        }
        if (await keys.GetAsync(KeyOf(provider), ct) is null) // read now, not from the dispatcher's copy: a key stored a moment ago counts
        {
            return [new FieldError(CloudRequestValidator.ModelField, $"{CloudCatalog.NameOf(provider)} has no key; an admin adds one under API keys.")];
        }
        var seed = request.SeedMode == SeedMode.Fixed && request.Seed is { } fixedSeed ? (long?)Math.Min(fixedSeed, long.MaxValue) : null;
        var errors = CloudRequestValidator.Validate(ToCloudRequest(request, cloud, seed), CloudCatalog.ModelsOf(provider), CloudCatalog.NameOf(provider));
        return [.. errors.Select(e => new FieldError(e.Field, e.Message))];
    }

    /// <summary>The largest seed the request's model honours (the queue draws random seeds within it); null when it takes none or is unknown.</summary>
    public static ulong? SeedMax(CloudSetting cloud)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        return CloudCatalog.TryParse(cloud.Provider, out var provider) && CloudCatalog.Find(provider, cloud.Model) is { Seeds: { } seeds } ? (ulong)seeds.Max : null;
    }

    /// <summary>What is sent to the provider for one run: the request's prompts and the cloud settings, the run's seed where the model takes one.</summary>
    public static CloudImageRequest ToCloudRequest(GenerationRequest request, CloudSetting cloud, long? seed)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cloud);
        return new CloudImageRequest(cloud.Model, request.Prompt)
        {
            NegativePrompt = string.IsNullOrWhiteSpace(request.NegativePrompt) ? null : request.NegativePrompt,
            Size = cloud.Size,
            AspectRatio = cloud.AspectRatio,
            Seed = seed,
            Count = cloud.Count,
            Options = cloud.Options,
        };
    }
}
