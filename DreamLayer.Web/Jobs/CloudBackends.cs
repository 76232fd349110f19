using System.Collections.Concurrent;
using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using DreamLayer.Web.Security;
using Microsoft.EntityFrameworkCore;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Jobs;

/// <summary>A cloud provider as a backend of the queue, as the Backends page shows it.</summary>
/// <param name="Enabled">A key is stored or set by the environment: the provider takes jobs.</param>
public sealed record CloudBackendStatus(CloudProviderId Provider, string Name, bool Enabled, int MaxInFlight, int InFlight, string? LastError, DateTime? LastErrorAt);

/// <summary>
/// The cloud providers as backends of the one queue: a provider is enabled while it has a key (stored, or set by the
/// environment), and takes at most its own number of jobs at once (admin-set, stored like the other settings, default
/// <see cref="DefaultMaxInFlight"/>). Keeps each provider's last error with its time for the Backends page.
/// </summary>
public sealed class CloudBackends(IDbContextFactory<DreamLayerDbContext> dbFactory, ProviderKeys keys, JobSignal signal, TimeProvider time, UploadStore uploads)
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
        var model = CloudCatalog.Find(provider, cloud.Model);
        if (request.Mode is not (GenerationMode.Txt2Img or GenerationMode.Img2Img or GenerationMode.Inpaint))
        {
            return [new FieldError(CloudRequestValidator.ModelField, $"{CloudCatalog.NameOf(provider)} models make pictures from a prompt (Txt2Img), or change one (Img2Img, Inpaint), not {request.Mode}.")];
        }
        if (model is not null && Needs(request.Mode) is { } needs && !model.Edits.HasFlag(needs))
        {
            return [new FieldError(CloudRequestValidator.ModelField, needs == CloudEdits.Mask
                ? $"{model.Name} does not repaint a masked part; on Inpaint choose a model that does ({Editors(CloudEdits.Mask)})."
                : $"{model.Name} makes pictures from a prompt only; on Img2Img choose a model that changes a picture ({Editors(CloudEdits.Image)}).")];
        }
        if (await keys.GetAsync(KeyOf(provider), ct) is null) // read now, not from the dispatcher's copy: a key stored a moment ago counts
        {
            return [new FieldError(CloudRequestValidator.ModelField, $"{CloudCatalog.NameOf(provider)} has no key; an admin adds one under API keys.")];
        }
        var seed = request.SeedMode == SeedMode.Fixed && request.Seed is { } fixedSeed ? (long?)Math.Min(fixedSeed, long.MaxValue) : null;
        var (pictures, missing) = await PicturesAsync(request, ct);
        if (missing is not null)
        {
            return [missing];
        }
        var errors = CloudRequestValidator.Validate(ToCloudRequest(request, cloud, seed, pictures), CloudCatalog.ModelsOf(provider), CloudCatalog.NameOf(provider));
        return [.. errors.Select(e => new FieldError(e.Field, e.Message))];
    }

    /// <summary>What a mode needs of a cloud model: a picture (Img2Img), a picture and a mask (Inpaint); null for Txt2Img.</summary>
    private static CloudEdits? Needs(GenerationMode mode) => mode switch
    {
        GenerationMode.Img2Img => CloudEdits.Image,
        GenerationMode.Inpaint => CloudEdits.Mask,
        _ => null,
    };

    private static string Editors(CloudEdits edits) =>
        string.Join(", ", CloudCatalog.All.Where(m => m.Edits.HasFlag(edits)).Select(m => $"{CloudCatalog.NameOf(m.Provider)}: {m.Name}"));

    /// <summary>
    /// The pictures an Img2Img or Inpaint cloud job sends, read from the upload store as the local path reads them
    /// (<see cref="UploadStore.Locate"/>): the source upload as stored (re-encoded as PNG when stored in a format the
    /// providers do not take) and, for Inpaint, the painted mask (opaque = repainted). An upload that is gone is a field
    /// error on it; a Txt2Img request has none.
    /// </summary>
    public async Task<(CloudEditPictures? Pictures, FieldError? Missing)> PicturesAsync(GenerationRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (Needs(request.Mode) is null)
        {
            return (null, null);
        }
        if (request.SourceImage is not { } source || uploads.Locate(source) is not { } sourcePath)
        {
            return (null, new FieldError(CloudRequestValidator.ImageField, request.SourceImage is null ? "Choose the picture to change." : "The image to work on is no longer stored; upload it again."));
        }
        var image = await ReadAsync(sourcePath, ct);
        if (request.Mode != GenerationMode.Inpaint)
        {
            return (new CloudEditPictures(image, null), null);
        }
        if (request.Mask?.Upload is not { } maskId || uploads.Locate(maskId) is not { } maskPath)
        {
            return (null, new FieldError(CloudRequestValidator.MaskField, request.Mask is null ? "Paint the part of the picture to repaint." : "The painted mask is no longer stored; paint it again."));
        }
        return (new CloudEditPictures(image, await ReadAsync(maskPath, ct)), null);
    }

    /// <summary>A stored upload as sent: its bytes when they are PNG, JPEG or WebP, else decoded through the gate and written as PNG.</summary>
    private async Task<CloudPicture> ReadAsync(string path, CancellationToken ct)
    {
        if (CloudPicture.Read(await File.ReadAllBytesAsync(path, ct)) is { } picture)
        {
            return picture;
        }
        using var decoded = await uploads.DecodeStoredAsync(path, rgba: true, ct);
        using var png = new MemoryStream();
        await decoded.Image.SaveAsPngAsync(png, ct);
        return CloudPicture.Read(png.ToArray()) ?? throw new InvalidOperationException("A PNG just written could not be read.");
    }

    /// <summary>The largest seed the request's model honours (the queue draws random seeds within it); null when it takes none or is unknown.</summary>
    public static ulong? SeedMax(CloudSetting cloud)
    {
        ArgumentNullException.ThrowIfNull(cloud);
        return CloudCatalog.TryParse(cloud.Provider, out var provider) && CloudCatalog.Find(provider, cloud.Model) is { Seeds: { } seeds } ? (ulong)seeds.Max : null;
    }

    /// <summary>
    /// What is sent to the provider for one run: the request's prompts and the cloud settings, the run's seed where the
    /// model takes one; for Img2Img and Inpaint the <paramref name="pictures"/> (null where they are not loaded, as when
    /// the job is priced: it is an edit all the same), and for a remix that takes an image weight, the request's denoise
    /// as one (denoise 0.75 repaints three quarters: weight 25).
    /// </summary>
    public static CloudImageRequest ToCloudRequest(GenerationRequest request, CloudSetting cloud, long? seed, CloudEditPictures? pictures = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cloud);
        var edit = Needs(request.Mode) switch
        {
            CloudEdits.Mask => CloudEdits.Image | CloudEdits.Mask,
            { } needs => needs,
            null => CloudEdits.None,
        };
        var model = CloudCatalog.TryParse(cloud.Provider, out var provider) ? CloudCatalog.Find(provider, cloud.Model) : null;
        var weighs = request.Mode == GenerationMode.Img2Img && model?.EditInput is { TakesImageWeight: true };
        return new CloudImageRequest(cloud.Model, request.Prompt)
        {
            Edit = edit,
            InputImage = pictures?.Image,
            Mask = pictures?.Mask,
            ImageWeight = weighs ? ImageWeight(request.Denoise) : null,
            NegativePrompt = string.IsNullOrWhiteSpace(request.NegativePrompt) ? null : request.NegativePrompt,
            Size = cloud.Size,
            AspectRatio = cloud.AspectRatio,
            Seed = seed,
            Count = cloud.Count,
            Options = WithAppDefaults(cloud.Options, model, edit != CloudEdits.None),
        };
    }

    /// <summary>The options set, plus the app's default (<see cref="CloudOption.AppDefault"/>) of each one left empty that the model takes.</summary>
    private static IReadOnlyDictionary<string, string> WithAppDefaults(IReadOnlyDictionary<string, string> chosen, CloudModel? model, bool edit)
    {
        var defaults = model?.OptionsFor(edit).Where(o => o.AppDefault is not null && !chosen.ContainsKey(o.Name)).ToList();
        if (defaults is not { Count: > 0 })
        {
            return chosen;
        }
        var options = new Dictionary<string, string>(chosen, StringComparer.Ordinal);
        foreach (var option in defaults)
        {
            options[option.Name] = option.AppDefault!;
        }
        return options;
    }

    /// <summary>The image weight (1 to 100) a denoise (0 to 1) means: how much of the picture is kept.</summary>
    public static int ImageWeight(double denoise) => (int)Math.Clamp(Math.Round((1 - denoise) * 100, MidpointRounding.AwayFromZero), 1, 100);
}

/// <summary>The pictures of an Img2Img (<see cref="Mask"/> null) or Inpaint cloud job, read from the upload store.</summary>
public sealed record CloudEditPictures(CloudPicture Image, CloudPicture? Mask);
