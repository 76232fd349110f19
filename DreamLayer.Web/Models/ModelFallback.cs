using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Models;

namespace DreamLayer.Web.Models;

/// <summary>
/// What a form says about a checkpoint no server offers the person, and the checkpoint it offers instead.
/// </summary>
/// <param name="Missing">The checkpoint asked for.</param>
/// <param name="Family">Its family, where the app ever saw it (else unknown).</param>
/// <param name="Replacement">The checkpoint offered instead (a file the servers list), or null when there is none.</param>
/// <param name="ReplacementTitle">What people call the replacement (its display name).</param>
/// <param name="Message">The whole of it in words.</param>
public sealed record CheckpointOffer(string Missing, ModelFamily Family, string? Replacement, string? ReplacementTitle, string Message);

/// <summary>
/// The seed's <c>handle_model_error</c> fallback: a job that asks for a checkpoint no server has (reused parameters,
/// PNG Info, a last job's settings) is offered the admins' default checkpoint of the same family, else the most used
/// visible checkpoint of that family, else (family unknown, or none of it left) the most used visible checkpoint.
/// </summary>
public sealed class ModelFallback(ModelSettings settings, ModelOverview overview)
{
    /// <summary>
    /// The offer for <paramref name="checkpoint"/> when it is not among <paramref name="available"/> (the person's own
    /// list); null when it is there, or nothing is asked for, or no server lists any checkpoint.
    /// </summary>
    public async Task<CheckpointOffer?> OfferAsync(string checkpoint, IReadOnlyList<string> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        return IsMissing(checkpoint, available) ? Choose(settings, checkpoint, available, await overview.CheckpointUsageAsync(CancellationToken.None)) : null;
    }

    private static bool IsMissing(string checkpoint, IReadOnlyList<string> available) =>
        !string.IsNullOrEmpty(checkpoint) && available.Count > 0 && !available.Contains(checkpoint, StringComparer.Ordinal);

    /// <summary>
    /// The offer, from the admins' settings and how often each checkpoint was used; null when <paramref name="missing"/>
    /// is in fact available (or empty, or nothing is).
    /// </summary>
    public static CheckpointOffer? Choose(ModelSettings settings, string missing, IReadOnlyList<string> available, IReadOnlyDictionary<ModelKey, ModelUse> use)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(available);
        ArgumentNullException.ThrowIfNull(use);
        if (!IsMissing(missing, available))
        {
            return null;
        }
        var folder = ModelKind.Checkpoints.Folder;
        var visible = available.Where(n => !settings.IsHidden(folder, n)).Select(n => settings.Get(folder, n)).ToList();
        // Equal use keeps the servers' order: with no history, the first listed (what a new form starts with).
        ModelInfo? MostUsed(IEnumerable<ModelInfo> candidates) => candidates
            .OrderByDescending(i => use.TryGetValue(i.Key, out var u) ? u.Times : 0)
            .FirstOrDefault();
        var family = KnownFamily(settings, missing);
        var label = family.Label();
        var said = settings.IsHidden(folder, missing)
            ? $"The checkpoint {missing} is not available: an admin has hidden it"
            : $"No server has the checkpoint {missing}";
        if (family is ModelFamily.Unknown)
        {
            var any = MostUsed(visible);
            return new(missing, family, any?.Key.Name, any?.Title,
                any is null ? $"{said}, and its family is not known." : $"{said}, and its family is not known; the default checkpoint is {any.Title}.");
        }
        var ofFamily = visible.Where(i => i.Family == family).ToList();
        if (settings.FamilyDefaults.TryGetValue(family, out var name) && ofFamily.FirstOrDefault(i => i.Key.Name == name) is { } chosen)
        {
            return new(missing, family, chosen.Key.Name, chosen.Title, $"{said} ({label}); the admins' default {label} checkpoint is {chosen.Title}.");
        }
        if (MostUsed(ofFamily) is { } used)
        {
            return new(missing, family, used.Key.Name, used.Title, $"{said} ({label}); the most used {label} checkpoint is {used.Title}.");
        }
        var other = MostUsed(visible);
        return new(missing, family, other?.Key.Name, other?.Title,
            other is null ? $"{said} ({label}), and no {label} checkpoint is available." : $"{said} ({label}), and no {label} checkpoint is available; {other.Title} is of another family.");
    }

    /// <summary>
    /// The family of a checkpoint the app saw once (its settings row keeps the family read from its file): by its exact
    /// name, else by the name an image gives it (file name without folder or extension, as A1111 writes it).
    /// </summary>
    private static ModelFamily KnownFamily(ModelSettings settings, string name)
    {
        var folder = ModelKind.Checkpoints.Folder;
        if (settings.Get(folder, name).Family is var exact and not ModelFamily.Unknown)
        {
            return exact;
        }
        var wanted = A1111Infotext.ModelName(name);
        return settings.All.Values
            .Where(i => i.Key.Folder == folder && i.Family != ModelFamily.Unknown && string.Equals(A1111Infotext.ModelName(i.Key.Name), wanted, StringComparison.OrdinalIgnoreCase))
            .Select(i => i.Family)
            .FirstOrDefault();
    }
}
