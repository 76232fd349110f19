using System.Collections.Frozen;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Events;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Models;

/// <summary>A model file: its ComfyUI folder and its name as the servers list it.</summary>
public readonly record struct ModelKey(string Folder, string Name);

/// <summary>The generation settings picking a model applies (every field optional), and a LoRA's strength.</summary>
public sealed record ModelDefaults(
    int? Width = null, int? Height = null, int? Steps = null, double? Cfg = null, string? Sampler = null,
    string? Scheduler = null, int? ClipSkip = null, string? Vae = null, double? Strength = null)
{
    public static ModelDefaults None { get; } = new();

    public bool IsEmpty => this == None;
}

/// <summary>What an admin said about one model (or the defaults, for a model without a row).</summary>
public sealed record ModelInfo(
    ModelKey Key,
    string? DisplayName,
    string? Description,
    ModelFamily? FamilySet,
    ModelFamily? Inferred,
    string? Version,
    string? SourceUrl,
    IReadOnlyList<string> Tags,
    IReadOnlyList<string> TriggerWords,
    Guid? PreviewId,
    bool Hidden,
    ModelDefaults Defaults)
{
    public static ModelInfo For(ModelKey key) => new(key, null, null, null, null, null, null, [], [], null, false, ModelDefaults.None);

    /// <summary>The family the admin set, else the one read from the file, else unknown.</summary>
    public ModelFamily Family => FamilySet ?? Inferred ?? ModelFamily.Unknown;

    /// <summary>What people see: the display name, else the file's name.</summary>
    public string Title => string.IsNullOrWhiteSpace(DisplayName) ? Key.Name : DisplayName;

    /// <summary>
    /// The defaults picking it applies: the admin's, with the family's native size where the admin set no size (an
    /// SDXL checkpoint picked at 512×512 switches to 1024×1024).
    /// </summary>
    public ModelDefaults EffectiveDefaults =>
        Defaults.Width is null && Defaults.Height is null && Family.NativeSize() is { } size ? Defaults with { Width = size, Height = size } : Defaults;
}

/// <summary>An admin's edit of one model: every field as the form holds it.</summary>
public sealed record ModelEdit(
    ModelKey Key,
    string? DisplayName,
    string? Description,
    ModelFamily? Family,
    string? Version,
    string? SourceUrl,
    string? Tags,
    string? TriggerWords,
    bool Hidden,
    ModelDefaults Defaults);

public enum BulkModelAction
{
    Hide,
    Show,
    SetFamily,
    AddTags,
    RemoveTags,
}

/// <summary>
/// Every admin's word on models, kept in memory as one immutable snapshot (read by every picker and every submit) and
/// written to the <c>Models</c> table. Each change checks on the server that the person is an admin.
/// </summary>
public sealed class ModelSettings(IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider time, ILogger<ModelSettings> logger) : IHostedService, IDisposable
{
    private readonly Topic<ModelSettings> _changes = new("model settings", logger);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FrozenDictionary<ModelKey, ModelInfo> _snapshot = FrozenDictionary<ModelKey, ModelInfo>.Empty;
    private FrozenDictionary<Guid, ModelKey> _previews = FrozenDictionary<Guid, ModelKey>.Empty;
    private FrozenDictionary<ModelFamily, string> _familyDefaults = FrozenDictionary<ModelFamily, string>.Empty;

    /// <summary>The settings row naming a family's default checkpoint: one row per family, so one default per family.</summary>
    private const string FamilyDefaultKey = "Models.FamilyDefault.";

    /// <summary>Every model an admin has said something about.</summary>
    public IReadOnlyDictionary<ModelKey, ModelInfo> All => Volatile.Read(ref _snapshot);

    /// <summary>The admin's word on a model, or the defaults for one without a row.</summary>
    public ModelInfo Get(string folder, string name) => Get(new ModelKey(folder, name));

    public ModelInfo Get(ModelKey key) => All.TryGetValue(key, out var info) ? info : ModelInfo.For(key);

    public bool IsHidden(string folder, string name) => All.TryGetValue(new ModelKey(folder, name), out var info) && info.Hidden;

    /// <summary>The model whose preview picture <paramref name="previewId"/> is now, or null when it is no model's.</summary>
    public ModelKey? PreviewOf(Guid previewId) => Volatile.Read(ref _previews).TryGetValue(previewId, out var key) ? key : null;

    /// <summary>
    /// The checkpoint an admin made the default of each family (offered in place of a checkpoint of that family no
    /// server has). A default whose family an admin changed since no longer counts for the old family.
    /// </summary>
    public IReadOnlyDictionary<ModelFamily, string> FamilyDefaults => Volatile.Read(ref _familyDefaults);

    /// <summary>Called after every change (on the thread that made it).</summary>
    public IDisposable Subscribe(Action<ModelSettings> onChanged) => _changes.Subscribe(onChanged);

    public Task StartAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _gate.Dispose();

    public async Task ReloadAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Models.AsNoTracking().ToListAsync(ct);
        Keep(rows.Select(ToInfo).ToFrozenDictionary(i => i.Key));
        Volatile.Write(ref _familyDefaults, await ReadFamilyDefaultsAsync(db, ct));
        _changes.Publish(this);
    }

    private static async Task<FrozenDictionary<ModelFamily, string>> ReadFamilyDefaultsAsync(DreamLayerDbContext db, CancellationToken ct)
    {
        var rows = await db.Settings.AsNoTracking().Where(s => s.Key.StartsWith(FamilyDefaultKey)).ToListAsync(ct);
        return rows.Select(r => (Family: ModelFamilies.Parse(r.Key[FamilyDefaultKey.Length..]), r.Value))
            .Where(r => r.Family != ModelFamily.Unknown)
            .ToFrozenDictionary(r => r.Family, r => r.Value);
    }

    /// <summary>
    /// Makes a checkpoint its family's default (replacing the family's earlier one), or stops it being one; the reason
    /// in words when refused.
    /// </summary>
    public async Task<string?> SetFamilyDefaultAsync(SignedInUser actor, ModelKey key, bool isDefault, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            return "Only an admin can change models.";
        }
        if (key.Folder != ModelKind.Checkpoints.Folder)
        {
            return "Only a checkpoint can be its family's default.";
        }
        var family = Get(key).Family;
        if (isDefault && family is ModelFamily.Unknown or ModelFamily.Other)
        {
            return "Set the checkpoint's family first: a default is the default of one family.";
        }
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var mine = FamilyDefaults.Where(d => d.Value == key.Name && (!isDefault || d.Key != family)).Select(d => FamilyDefaultKey + d.Key).ToList();
            db.Settings.RemoveRange(await db.Settings.Where(s => mine.Contains(s.Key)).ToListAsync(ct));
            await db.SaveChangesAsync(ct);
            if (isDefault)
            {
                await AppSettings.WriteAsync(db, FamilyDefaultKey + family, key.Name, ct);
            }
            Volatile.Write(ref _familyDefaults, await ReadFamilyDefaultsAsync(db, ct));
        }
        finally
        {
            _gate.Release();
        }
        _changes.Publish(this);
        return null;
    }

    /// <summary>Saves an admin's edit of one model; the reason in words when refused.</summary>
    public async Task<string?> SaveAsync(SignedInUser actor, ModelEdit edit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(edit);
        if (!actor.IsAdmin)
        {
            return "Only an admin can change models.";
        }
        if (Check(edit) is { } problem)
        {
            return problem;
        }
        await ChangeAsync([edit.Key], row =>
        {
            row.DisplayName = Clean(edit.DisplayName);
            row.Description = Clean(edit.Description);
            row.Family = edit.Family?.ToString();
            row.Version = Clean(edit.Version);
            row.SourceUrl = Clean(edit.SourceUrl);
            row.Tags = JoinList(SplitList(edit.Tags));
            row.TriggerWords = JoinList(SplitList(edit.TriggerWords));
            row.Hidden = edit.Hidden;
            var d = edit.Defaults;
            (row.DefaultWidth, row.DefaultHeight, row.DefaultSteps, row.DefaultCfg) = (d.Width, d.Height, d.Steps, d.Cfg);
            (row.DefaultSampler, row.DefaultScheduler, row.DefaultClipSkip) = (Clean(d.Sampler), Clean(d.Scheduler), d.ClipSkip);
            (row.DefaultVae, row.DefaultStrength) = (Clean(d.Vae), d.Strength);
        }, ct);
        return null;
    }

    /// <summary>One change to many models at once (hide, show, set family, add or remove tags); the reason when refused.</summary>
    public async Task<string?> BulkAsync(SignedInUser actor, IReadOnlyCollection<ModelKey> keys, BulkModelAction action, ModelFamily? family, string? tags, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(keys);
        if (!actor.IsAdmin)
        {
            return "Only an admin can change models.";
        }
        if (keys.Count == 0)
        {
            return "Select at least one model.";
        }
        var tagList = SplitList(tags);
        if (action is BulkModelAction.AddTags or BulkModelAction.RemoveTags && tagList.Count == 0)
        {
            return "Type the tags, separated by commas.";
        }
        if (action is BulkModelAction.AddTags && tagList.Any(t => t.Length > 64))
        {
            return "A tag may have at most 64 characters.";
        }
        await ChangeAsync(keys, row =>
        {
            switch (action)
            {
                case BulkModelAction.Hide:
                    row.Hidden = true;
                    break;
                case BulkModelAction.Show:
                    row.Hidden = false;
                    break;
                case BulkModelAction.SetFamily:
                    row.Family = family?.ToString();
                    break;
                case BulkModelAction.AddTags:
                    row.Tags = JoinList([.. SplitList(row.Tags).Union(tagList, StringComparer.OrdinalIgnoreCase)]);
                    break;
                case BulkModelAction.RemoveTags:
                    row.Tags = JoinList([.. SplitList(row.Tags).Except(tagList, StringComparer.OrdinalIgnoreCase)]);
                    break;
            }
        }, ct);
        return null;
    }

    /// <summary>Keeps the families read from the files' headers (no one's action: the catalogue's inspection).</summary>
    public Task SetInferredAsync(IReadOnlyDictionary<ModelKey, ModelFamily> inferred, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inferred);
        return inferred.Count == 0 ? Task.CompletedTask : ChangeAsync([.. inferred.Keys], row => row.InferredFamily = inferred[new ModelKey(row.Folder, row.Name)].ToString(), ct);
    }

    private async Task ChangeAsync(IReadOnlyCollection<ModelKey> keys, Action<ModelEntity> change, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var folders = keys.Select(k => k.Folder).Distinct().ToList();
            var names = keys.Select(k => k.Name).Distinct().ToList();
            var existing = (await db.Models.Where(m => folders.Contains(m.Folder) && names.Contains(m.Name)).ToListAsync(ct))
                .ToDictionary(m => new ModelKey(m.Folder, m.Name));
            var now = time.GetUtcNow().UtcDateTime;
            foreach (var key in keys.Distinct())
            {
                if (!existing.TryGetValue(key, out var row))
                {
                    row = new ModelEntity { Folder = key.Folder, Name = key.Name };
                    db.Models.Add(row);
                }
                change(row);
                row.UpdatedAt = now;
            }
            await db.SaveChangesAsync(ct);
            var next = new Dictionary<ModelKey, ModelInfo>(All);
            foreach (var row in db.ChangeTracker.Entries<ModelEntity>().Select(e => e.Entity))
            {
                var info = ToInfo(row);
                next[info.Key] = info;
            }
            Keep(next.ToFrozenDictionary());
        }
        finally
        {
            _gate.Release();
        }
        _changes.Publish(this);
    }

    /// <summary>
    /// Points a model at a new preview picture (or at none), for <c>ModelPreviews</c>, which has stored the picture; the
    /// picture it replaces is returned for its file to be deleted. The reason in words when refused.
    /// </summary>
    public async Task<(string? Refusal, Guid? Replaced)> SetPreviewAsync(SignedInUser actor, ModelKey key, Guid? previewId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            return ("Only an admin can change models.", null);
        }
        Guid? replaced = null;
        await ChangeAsync([key], row => (replaced, row.PreviewImageId) = (row.PreviewImageId, previewId), ct);
        return (null, replaced);
    }

    private void Keep(FrozenDictionary<ModelKey, ModelInfo> snapshot)
    {
        var previews = new Dictionary<Guid, ModelKey>();
        foreach (var info in snapshot.Values)
        {
            if (info.PreviewId is { } id)
            {
                previews[id] = info.Key;
            }
        }
        Volatile.Write(ref _previews, previews.ToFrozenDictionary());
        Volatile.Write(ref _snapshot, snapshot);
    }

    private static string? Check(ModelEdit edit)
    {
        if (edit.DisplayName?.Length > ModelEntity.MaxTextLength || edit.Version?.Length > ModelEntity.MaxTextLength)
        {
            return $"The display name and the version may have at most {ModelEntity.MaxTextLength} characters.";
        }
        if (edit.Description?.Length > ModelEntity.MaxDescriptionLength)
        {
            return $"The description may have at most {ModelEntity.MaxDescriptionLength} characters.";
        }
        if (Clean(edit.SourceUrl) is { } url && (url.Length > 1024 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            return "The source link must be an http:// or https:// address, such as the model's Civitai or Hugging Face page.";
        }
        if (edit.Tags?.Length > 1024 || edit.TriggerWords?.Length > 1024)
        {
            return "Tags and trigger words may have at most 1,024 characters each.";
        }
        var d = edit.Defaults;
        if (d.Width is < 64 or > 16384 || d.Height is < 64 or > 16384 || d.Width is int w && w % 8 != 0 || d.Height is int h && h % 8 != 0)
        {
            return "The default width and height must be multiples of 8 from 64 to 16384.";
        }
        if (d.Steps is < 1 or > 1000)
        {
            return "The default steps must be from 1 to 1000.";
        }
        if (d.Cfg is < 0 or > 100 || d.Cfg is double cfg && !double.IsFinite(cfg))
        {
            return "The default CFG scale must be from 0 to 100.";
        }
        if (d.ClipSkip is < 1 or > 12)
        {
            return "The default CLIP skip must be from 1 to 12.";
        }
        return d.Strength is < -10 or > 10 || d.Strength is double s && !double.IsFinite(s) ? "The default LoRA strength must be from -10 to 10." : null;
    }

    private static ModelInfo ToInfo(ModelEntity row) => new(
        new ModelKey(row.Folder, row.Name),
        row.DisplayName,
        row.Description,
        row.Family is null ? null : ModelFamilies.Parse(row.Family),
        row.InferredFamily is null ? null : ModelFamilies.Parse(row.InferredFamily),
        row.Version,
        row.SourceUrl,
        SplitList(row.Tags),
        SplitList(row.TriggerWords),
        row.PreviewImageId,
        row.Hidden,
        new ModelDefaults(row.DefaultWidth, row.DefaultHeight, row.DefaultSteps, row.DefaultCfg, row.DefaultSampler, row.DefaultScheduler, row.DefaultClipSkip, row.DefaultVae, row.DefaultStrength));

    private static string? Clean(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    /// <summary>A comma-separated list as its trimmed, distinct, non-empty items.</summary>
    public static IReadOnlyList<string> SplitList(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.OrdinalIgnoreCase)];

    private static string? JoinList(IReadOnlyList<string> items) => items.Count == 0 ? null : string.Join(", ", items);
}
