using DreamLayer.Domain.Models;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using DreamLayer.Web.Models;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace DreamLayer.Web.Features.Models;

/// <summary>One model's settings: how members see it (or not) and what picking it applies. Saved by <see cref="ModelSettings"/>, which checks the admin.</summary>
public sealed partial class ModelEditor
{
    [Inject] private ModelSettings Settings { get; set; } = default!;
    [Inject] private ModelCatalogue Catalogue { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ModelPreviews Previews { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;

    [Parameter, EditorRequired]
    public ModelRow Row { get; set; } = default!;

    [Parameter]
    public EventCallback OnClosed { get; set; }

    private bool _visible;
    private bool _familyDefault, _wasFamilyDefault;
    private string? _displayName, _description, _version, _sourceUrl, _tags, _triggerWords;
    private string _family = string.Empty, _sampler = string.Empty, _scheduler = string.Empty, _vae = string.Empty;
    private int? _width, _height, _steps, _clipSkip;
    private double? _cfg, _strength;
    private IReadOnlyList<string> _proposed = [];
    private string? _error;
    private Guid? _previewId;
    private bool _previewBusy;
    private string? _previewError;

    private static string MaxUploadText => UploadStore.FormatSize(ModelPreviews.MaxUploadBytes);

    private bool IsLora => Row.Model.Kind == ModelKind.Loras;

    /// <summary>Only a checkpoint is offered in place of a missing one.</summary>
    private bool CanBeFamilyDefault => Row.Model.Kind == ModelKind.Checkpoints;

    private string FamilyDefaultLabel => (_family.Length == 0 ? Row.Info.Inferred ?? ModelFamily.Unknown : ModelFamilies.Parse(_family)) is var family and not (ModelFamily.Unknown or ModelFamily.Other)
        ? $"Default {family.Label()} checkpoint"
        : "Default of its family (set its family first)";

    private bool IsCheckpoint => Row.Model.Kind == ModelKind.Checkpoints || Row.Model.Kind == ModelKind.DiffusionModels;

    private string InferredText => Row.Info.Inferred is { } inferred ? $"Read from the file: {inferred.Label()}" : "Read from the file (not read yet)";

    private string NativeSizeText => Row.Info.Family.NativeSize() is { } size ? $"{size}×{size}" : "none for an unknown family";

    protected override async Task OnInitializedAsync()
    {
        var info = Row.Info;
        _visible = !info.Hidden;
        _previewId = info.PreviewId;
        _familyDefault = _wasFamilyDefault = Settings.FamilyDefaults.TryGetValue(info.Family, out var familyDefault) && familyDefault == Row.Model.Name;
        (_displayName, _description, _version, _sourceUrl) = (info.DisplayName, info.Description, info.Version, info.SourceUrl);
        _tags = string.Join(", ", info.Tags);
        _triggerWords = string.Join(", ", info.TriggerWords);
        _family = info.FamilySet?.ToString() ?? string.Empty;
        var d = info.Defaults;
        (_width, _height, _steps, _cfg, _clipSkip, _strength) = (d.Width, d.Height, d.Steps, d.Cfg, d.ClipSkip, d.Strength);
        (_sampler, _scheduler, _vae) = (d.Sampler ?? string.Empty, d.Scheduler ?? string.Empty, d.Vae ?? string.Empty);
        if (IsLora && info.TriggerWords.Count == 0)
        {
            _proposed = await Catalogue.ProposedTriggerWordsAsync(Row.Model, CancellationToken.None);
        }
    }

    private void UseProposed() => _triggerWords = string.Join(", ", _proposed);

    private async Task SaveAsync()
    {
        var edit = new ModelEdit(
            Row.Key,
            _displayName,
            _description,
            _family.Length == 0 ? null : ModelFamilies.Parse(_family),
            _version,
            _sourceUrl,
            _tags,
            IsLora ? _triggerWords : null,
            Hidden: !_visible,
            new ModelDefaults(_width, _height, _steps, _cfg, Empty(_sampler), Empty(_scheduler), _clipSkip, Empty(_vae), IsLora ? _strength : null));
        var actor = await CurrentUser.GetAsync();
        _error = await Settings.SaveAsync(actor, edit, CancellationToken.None);
        if (_error is null && CanBeFamilyDefault && (_familyDefault != _wasFamilyDefault || _familyDefault))
        {
            // After the edit, so that a family changed in the same save is the one it becomes the default of.
            _error = await Settings.SetFamilyDefaultAsync(actor, Row.Key, _familyDefault, CancellationToken.None);
        }
        if (_error is null)
        {
            Snackbar.Add($"Saved {(string.IsNullOrWhiteSpace(_displayName) ? Row.Model.Name : _displayName.Trim())}.", Severity.Success);
            await OnClosed.InvokeAsync();
        }
    }

    private async Task PickPreviewAsync()
    {
        var dialog = await Dialogs.ShowAsync<PreviewPickerDialog>($"Preview of {Row.Info.Title}", new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: Guid imageId })
        {
            await ChangePreviewAsync((actor, ct) => Previews.PickAsync(actor, Row.Key, imageId, ct));
        }
    }

    private async Task UploadPreviewAsync(InputFileChangeEventArgs e)
    {
        var file = e.File;
        if (file.Size > ModelPreviews.MaxUploadBytes)
        {
            // Refused before a byte crosses the connection.
            _previewError = $"The file is {UploadStore.FormatSize(file.Size)}; a preview may be at most {MaxUploadText}.";
            return;
        }
        await ChangePreviewAsync(async (actor, ct) =>
        {
            try
            {
                await using var stream = file.OpenReadStream(ModelPreviews.MaxUploadBytes, ct);
                return await Previews.UploadAsync(actor, Row.Key, stream, ct);
            }
            catch (IOException ex)
            {
                return $"The file could not be read: {ex.Message}";
            }
        });
    }

    private Task RemovePreviewAsync() => ChangePreviewAsync((actor, ct) => Previews.RemoveAsync(actor, Row.Key, ct));

    /// <summary>A preview change takes effect at once (Save is for the fields); the picture shown is the model's new one.</summary>
    private async Task ChangePreviewAsync(Func<SignedInUser, CancellationToken, Task<string?>> change)
    {
        _previewBusy = true;
        _previewError = null;
        try
        {
            _previewError = await change(await CurrentUser.GetAsync(), CancellationToken.None);
            _previewId = Settings.Get(Row.Key).PreviewId;
        }
        finally
        {
            _previewBusy = false;
        }
    }

    private static string? Empty(string value) => value.Length == 0 ? null : value;
}
