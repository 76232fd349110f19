using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Generation;
using Microsoft.AspNetCore.Components;

namespace DreamLayer.Web.Features.Presets;

/// <summary>
/// Picks, applies and saves presets for a generation form. Applying one checks it against the live server first and
/// says which fields were skipped and why; saving takes the chosen groups of the form. The server decides who may
/// change what (<see cref="TeamPresets"/>); the buttons only follow it.
/// </summary>
public sealed partial class PresetPicker
{
    private sealed record Applied(string Name, IReadOnlyList<SkippedPresetField> Skipped);

    private const int PresetNameLength = PresetEntity.MaxNameLength;

    private static readonly (PresetGroups Group, string Label)[] Groups =
    [
        (PresetGroups.Sampling, "Sampling: sampler, scheduler, steps, CFG"),
        (PresetGroups.Size, "Size: width and height"),
        (PresetGroups.Batch, "Batch: size and count"),
        (PresetGroups.Seed, "Seed: mode and number"),
        (PresetGroups.Model, "Model: the checkpoint"),
        (PresetGroups.NegativePrompt, "Negative prompt: as typed"),
        (PresetGroups.Loras, "LoRAs: the picker's list"),
        (PresetGroups.Advanced, "Advanced panel: hires fix, refiner, VAE, CLIP skip, tiled decode"),
    ];

    [Inject] private TeamPresets Presets { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;

    /// <summary>The form the preset applies to and is saved from (owned by the page).</summary>
    [Parameter, EditorRequired]
    public required Txt2ImgFormModel Model { get; set; }

    /// <summary>The live server's lists and ranges; null while no server has been read.</summary>
    [Parameter]
    public GenerationLimits? Limits { get; set; }

    /// <summary>The page's mode: options it does not offer are skipped with the reason.</summary>
    [Parameter]
    public GenerationMode Mode { get; set; } = GenerationMode.Txt2Img;

    /// <summary>Raised after a preset changed the form, so the page shows the new values.</summary>
    [Parameter]
    public EventCallback OnApplied { get; set; }

    private IReadOnlyList<PresetView> _presets = [];
    private string? _selectedKey;
    private Applied? _applied;
    private string? _message;
    private string? _error;
    private bool _saving;
    private string _newName = string.Empty;
    private PresetGroups _newGroups = PresetGroups.Sampling | PresetGroups.Size | PresetGroups.Batch;
    private bool _newShared;
    private bool _editing;
    private string _editName = string.Empty;
    private bool _editShared;
    private bool _confirmDelete;

    private PresetView? Selected => _presets.FirstOrDefault(p => p.Key == _selectedKey);

    /// <summary>Nothing is chosen when the page opens: the list says "No preset" until the person picks one (a preset is never implied).</summary>
    protected override Task OnInitializedAsync() => ReloadAsync(null);

    private async Task ReloadAsync(string? select)
    {
        _presets = await Presets.ListAsync(await CurrentUser.GetAsync());
        _selectedKey = select is not null && _presets.Any(p => p.Key == select) ? select : null;
    }

    private void Select(string key)
    {
        _selectedKey = key;
        (_editing, _confirmDelete, _message, _error) = (false, false, null, null);
    }

    private async Task Apply()
    {
        if (Selected is not { } preset)
        {
            return;
        }
        var outcome = PresetResolver.Resolve(preset.Values, Mode, Model.Steps, Limits);
        Model.Apply(outcome.Values);
        (_applied, _message, _error) = (new Applied(preset.Name, outcome.Skipped), null, null);
        await OnApplied.InvokeAsync();
    }

    private void Toggle(PresetGroups group, bool on) => _newGroups = on ? _newGroups | group : _newGroups & ~group;

    private string NameOf(string? key) => _presets.FirstOrDefault(p => p.Key == key)?.Name ?? NoPreset;

    private const string NoPreset = "No preset";

    private void StartSave() => (_saving, _editing, _confirmDelete, _newName, _message, _error) = (true, false, false, string.Empty, null, null);

    private void StartEdit()
    {
        if (Selected is { } preset)
        {
            (_editing, _saving, _editName, _editShared, _message, _error) = (true, false, preset.Name, preset.IsShared, null, null);
        }
    }

    private async Task SaveNewAsync()
    {
        var change = await Presets.CreateAsync(await CurrentUser.GetAsync(), _newName, _newShared, Model.Capture(_newGroups));
        if (await ShowAsync(change, $"Saved '{_newName.Trim()}'."))
        {
            _saving = false;
        }
    }

    private async Task SaveEditAsync()
    {
        if (Selected?.Id is { } id && await ShowAsync(await Presets.UpdateAsync(await CurrentUser.GetAsync(), id, _editName, _editShared), "Preset saved."))
        {
            _editing = false;
        }
    }

    private async Task OverwriteAsync()
    {
        if (Selected is { Id: { } id } preset)
        {
            var groups = Groups.Select(g => g.Group).Where(g => InPreset(preset.Values, g)).Aggregate(PresetGroups.None, (a, b) => a | b);
            await ShowAsync(await Presets.OverwriteAsync(await CurrentUser.GetAsync(), id, Model.Capture(groups)), $"'{preset.Name}' now has the form's values.");
        }
    }

    private async Task DeleteAsync()
    {
        _confirmDelete = false;
        if (Selected is { Id: { } id } preset)
        {
            await ShowAsync(await Presets.DeleteAsync(await CurrentUser.GetAsync(), id), $"Deleted '{preset.Name}'.");
        }
    }

    /// <summary>Shows the outcome and reloads the list (selecting the saved preset); true when it was saved.</summary>
    private async Task<bool> ShowAsync(PresetChange change, string done)
    {
        (_message, _error) = change is PresetRefused refused ? ((string?)null, refused.Message) : (done, (string?)null);
        await ReloadAsync(change is PresetSaved saved ? saved.Id.ToString("N") : _selectedKey);
        return change is PresetSaved;
    }

    /// <summary>Whether a preset sets any field of a group (overwriting keeps the same groups).</summary>
    private static bool InPreset(PresetValues v, PresetGroups group) => group switch
    {
        PresetGroups.Model => v.Checkpoint is not null,
        PresetGroups.Sampling => v.Sampler is not null || v.Scheduler is not null || v.Steps is not null || v.MaxSteps is not null || v.Cfg is not null,
        PresetGroups.Size => v.Size is not null,
        PresetGroups.Batch => v.BatchSize is not null || v.BatchCount is not null,
        PresetGroups.Seed => v.Seed is not null,
        PresetGroups.NegativePrompt => v.NegativePrompt is not null,
        PresetGroups.Loras => v.Loras is not null,
        PresetGroups.Advanced => v.HiresFix is not null || v.Refiner is not null || v.Vae is not null || v.ClipSkip is not null || v.TiledVae is not null,
        _ => false,
    };
}
