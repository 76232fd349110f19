using System.Security.Cryptography;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Security;

/// <summary>
/// A service the app holds a secret for (an access token or API key). Adding a provider is adding one of these to
/// <see cref="KeyProviders.All"/>: the keys page, the store and the configuration override follow.
/// </summary>
/// <param name="Id">Stable identifier (the stored row and the configuration key are derived from it).</param>
/// <param name="Name">What people call it.</param>
/// <param name="Purpose">What the app uses it for, in words.</param>
/// <param name="WhereToGetOne">The page where a person makes a key.</param>
/// <param name="Hosts">The hosts (and their subdomains) the key is sent to; never to another.</param>
public sealed record KeyProvider(string Id, string Name, string Purpose, string WhereToGetOne, IReadOnlyList<string> Hosts)
{
    /// <summary>
    /// The configuration key that overrides the stored value (<c>Keys:HuggingFace</c>, so the environment variable
    /// <c>Keys__HuggingFace</c>): a deployment may keep the key outside the database.
    /// </summary>
    public string ConfigurationKey => $"Keys:{Id}";

    /// <summary>True when a request to <paramref name="host"/> may carry this key.</summary>
    public bool Serves(string host) =>
        Hosts.Any(h => string.Equals(host, h, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + h, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The providers the app knows.</summary>
public static class KeyProviders
{
    public static KeyProvider HuggingFace { get; } = new(
        "HuggingFace", "Hugging Face", "Downloads of gated or private models from huggingface.co",
        "https://huggingface.co/settings/tokens", ["huggingface.co", "hf.co"]);

    public static KeyProvider Civitai { get; } = new(
        "Civitai", "Civitai", "Model downloads from civitai.com (many need a signed-in account)",
        "https://civitai.com/user/account", ["civitai.com"]);

    /// <summary>
    /// Comfy.org's key, for ComfyUI's paid API nodes: the app puts it in the <c>extra_data.api_key_comfy_org</c> of the
    /// prompts that use such a node (ComfyUI sends it on to api.comfy.org), and of no other.
    /// </summary>
    public static KeyProvider ComfyOrg { get; } = new(
        "ComfyOrg", "Comfy.org",
        "ComfyUI's API nodes: paid nodes such as OpenAI GPT Image 1, Ideogram V3, FLUX Pro in your own workflows",
        "https://platform.comfy.org/profile/api-keys", ["comfy.org"]);

    /// <summary>OpenAI's key, for its Images API (gpt-image and DALL·E models).</summary>
    public static KeyProvider OpenAI { get; } = new(
        "OpenAI", "OpenAI", "OpenAI's image models (GPT Image, DALL·E) as cloud backends",
        "https://platform.openai.com/api-keys", ["openai.com"]);

    /// <summary>Ideogram's key, for its 3.0 image API.</summary>
    public static KeyProvider Ideogram { get; } = new(
        "Ideogram", "Ideogram", "Ideogram 3.0 (generate, edit, remix) as a cloud backend",
        "https://ideogram.ai/platform", ["ideogram.ai"]);

    /// <summary>Black Forest Labs' key, for the FLUX API.</summary>
    public static KeyProvider BlackForestLabs { get; } = new(
        "BlackForestLabs", "Black Forest Labs", "FLUX (1.1 [pro], Ultra, Kontext) as a cloud backend",
        "https://dashboard.bfl.ai/", ["bfl.ai", "bfl.ml"]);

    public static IReadOnlyList<KeyProvider> All { get; } = [HuggingFace, Civitai, ComfyOrg, OpenAI, Ideogram, BlackForestLabs];

    /// <summary>The provider whose key a request to <paramref name="host"/> carries, or null.</summary>
    public static KeyProvider? ForHost(string host) => All.FirstOrDefault(p => p.Serves(host));
}

/// <summary>Where a provider's key comes from.</summary>
public enum KeySource
{
    None,
    Stored,
    Configuration,
}

/// <summary>What may be shown of a key: where it comes from and its last four characters, never more.</summary>
public sealed record KeyStatus(KeyProvider Provider, KeySource Source, string? Masked);

/// <summary>
/// The secrets the app holds for other services. Stored in the settings table encrypted with ASP.NET Core Data
/// Protection (the app's key ring, under the data folder), so the database alone does not give them away. A key is read
/// in full only by the code that sends it; everything else sees <see cref="KeyStatus"/>. Keys are never logged and
/// never part of a message.
/// </summary>
public sealed class ProviderKeys(IDbContextFactory<DreamLayerDbContext> dbFactory, IDataProtectionProvider protection, IConfiguration configuration)
{
    /// <summary>The Data Protection purpose: a key ring shared with other data cannot decrypt these as anything else.</summary>
    public const string ProtectionPurpose = "DreamLayer.ProviderKeys.v1";

    /// <summary>The longest key accepted (API keys and tokens are far shorter).</summary>
    public const int MaxLength = 4096;

    private readonly IDataProtector _protector = protection.CreateProtector(ProtectionPurpose);

    public static string SettingKey(KeyProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        return $"Keys.{provider.Id}";
    }

    /// <summary>The key to send to <paramref name="provider"/>: the configuration's if set, else the stored one, else null.</summary>
    public async Task<string?> GetAsync(KeyProvider provider, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (configuration[provider.ConfigurationKey] is { Length: > 0 } configured)
        {
            return configured;
        }
        return await StoredAsync(provider, ct);
    }

    /// <summary>What the keys page shows for each provider.</summary>
    public async Task<IReadOnlyList<KeyStatus>> StatusAsync(CancellationToken ct)
    {
        var result = new List<KeyStatus>();
        foreach (var provider in KeyProviders.All)
        {
            if (configuration[provider.ConfigurationKey] is { Length: > 0 } configured)
            {
                result.Add(new KeyStatus(provider, KeySource.Configuration, Mask(configured)));
            }
            else if (await StoredAsync(provider, ct) is { } stored)
            {
                result.Add(new KeyStatus(provider, KeySource.Stored, Mask(stored)));
            }
            else
            {
                result.Add(new KeyStatus(provider, KeySource.None, null));
            }
        }
        return result;
    }

    /// <summary>Stores (or replaces) a provider's key, encrypted. Returns null, or why the value was refused.</summary>
    public async Task<string?> SetAsync(bool actorIsAdmin, KeyProvider provider, string? value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!actorIsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins change keys.");
        }
        var key = value?.Trim() ?? string.Empty;
        if (key.Length == 0)
        {
            return $"Paste the {provider.Name} key first.";
        }
        if (key.Length > MaxLength)
        {
            return $"That is {key.Length} characters long; a {provider.Name} key is at most {MaxLength}.";
        }
        if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return $"A {provider.Name} key has no spaces or line breaks; paste the key alone.";
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == SettingKey(provider), ct);
        if (row is null)
        {
            db.Settings.Add(row = new SettingEntity { Key = SettingKey(provider) });
        }
        row.Value = _protector.Protect(key);
        await db.SaveChangesAsync(ct);
        await ForgetCheckAsync(db, provider, ct);
        Interlocked.Increment(ref _version);
        return null;
    }

    private int _version;

    /// <summary>Grows whenever a stored key is set or removed, so a reader can keep what it read of the keys until then.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Forgets a provider's stored key (a configured one stays: it is not the app's to remove).</summary>
    public async Task RemoveAsync(bool actorIsAdmin, KeyProvider provider, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(provider);
        if (!actorIsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins change keys.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Settings.Where(s => s.Key == SettingKey(provider)).ExecuteDeleteAsync(ct);
        await ForgetCheckAsync(db, provider, ct);
        Interlocked.Increment(ref _version);
    }

    /// <summary>A key's last check (<see cref="KeyChecks"/>) belongs to that key: a new key or none has not been checked.</summary>
    private static Task<int> ForgetCheckAsync(DreamLayerDbContext db, KeyProvider provider, CancellationToken ct) =>
        db.Settings.Where(s => s.Key == KeyChecks.SettingKey(provider)).ExecuteDeleteAsync(ct);

    /// <summary>The last four characters after dots; a key too short to keep four hidden shows none.</summary>
    public static string Mask(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length >= 12 ? "••••" + key[^4..] : "••••";
    }

    private async Task<string?> StoredAsync(KeyProvider provider, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var value = await db.Settings.AsNoTracking().Where(s => s.Key == SettingKey(provider)).Select(s => s.Value).SingleOrDefaultAsync(ct);
        if (value is null)
        {
            return null;
        }
        try
        {
            return _protector.Unprotect(value);
        }
        catch (CryptographicException)
        {
            return null; // written with a key ring that is gone: as if never set, the page asks for it again
        }
    }
}
