using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Models;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace DreamLayer.Web.Features.Txt2Img;

/// <summary>The txt2img controls. Reports the valid requests (one, or one per batch prompt) through <see cref="OnSubmit"/>; shows field errors itself.</summary>
public sealed partial class GenerationForm
{
    /// <summary>The form's state, owned by the page so that it survives re-renders and can be pre-filled.</summary>
    [Parameter, EditorRequired]
    public required Txt2ImgFormModel Model { get; set; }

    /// <summary>Lists and ranges from the live server; null while no server has been reached.</summary>
    [Parameter]
    public GenerationLimits? Limits { get; set; }

    /// <summary>
    /// The admins' word on models: display names and families in the lists, the defaults picking a checkpoint applies,
    /// a LoRA's trigger words and strength; null shows plain file names and applies nothing.
    /// </summary>
    [Parameter]
    public ModelSettings? Models { get; set; }

    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    /// <summary>The cloud models this person may choose on this page (grouped by provider after the checkpoints), their prices and the budget left.</summary>
    [Parameter]
    public CloudOffer Cloud { get; set; } = CloudOffer.None;

    /// <summary>
    /// Asked when the form's checkpoint is not in the person's list (the checkpoint, the list): what to say and which
    /// checkpoint to offer instead; null says nothing.
    /// </summary>
    [Parameter]
    public Func<string, IReadOnlyList<string>, Task<CheckpointOffer?>>? OfferFor { get; set; }

    private CheckpointOffer? _offer;
    private (string Checkpoint, IReadOnlyList<string> List)? _offerAskedFor;

    /// <summary>What picking the checkpoint last changed, said under it until the next pick.</summary>
    private string? _defaultsNote;

    /// <summary>With several servers: which online servers have a checkpoint (shown beside it); null shows nothing.</summary>
    [Parameter]
    public Func<string, IReadOnlyList<string>>? ServersWith { get; set; }

    /// <summary>True while a submission is being saved.</summary>
    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Errors from the last attempt that came from outside the form (for example the queue).</summary>
    [Parameter]
    public IReadOnlyList<FieldError> ExternalErrors { get; set; } = [];

    [Parameter]
    public EventCallback<IReadOnlyList<GenerationRequest>> OnSubmit { get; set; }

    /// <summary>The page's heading and notices, above the prompt bar.</summary>
    [Parameter]
    public RenderFragment? Header { get; set; }

    /// <summary>Shown at the top of the parameters panel, under the mode's own fields (the preset picker).</summary>
    [Parameter]
    public RenderFragment? Top { get; set; }

    /// <summary>The results pane: the current job and the ones before it.</summary>
    [Parameter, EditorRequired]
    public required RenderFragment Results { get; set; }

    /// <summary>A mode page's own fields (source image, mask, denoise), shown at the top of the parameters panel; given the form's error lookup by field.</summary>
    [Parameter]
    public RenderFragment<Func<string, string?>>? ModeFields { get; set; }

    /// <summary>The page's mode: the Advanced sections offer only what works in it, and batch prompts show on txt2img only.</summary>
    [Parameter]
    public GenerationMode Mode { get; set; } = GenerationMode.Txt2Img;

    /// <summary>Inpaint: the chosen area (only-masked inpainting takes no ControlNet units).</summary>
    [Parameter]
    public InpaintArea InpaintArea { get; set; } = InpaintArea.WholePicture;

    private GenerationLimits? AdvancedLimits => Limits is null ? null : Limits with { Advanced = Limits.Advanced.ForMode(Mode, InpaintArea) };

    /// <summary>Adds the mode page's values to the request before it is checked (for example the stored source image).</summary>
    [Parameter]
    public Func<GenerationRequest, Task<GenerationRequest>>? Complete { get; set; }

    private IReadOnlyList<FieldError> _errors = [];

    private string SeedHelp => Model.SeedMode switch
    {
        SeedMode.Random => "A new seed for every run",
        SeedMode.ReuseLast => "The seed of the last finished image",
        _ when Model.Cloud.Model is { Seeds: { } seeds } => string.Create(CultureInfo.InvariantCulture, $"{seeds.Min} to {seeds.Max}"),
        _ => "0 to 18446744073709551615; more runs use seed + 1, + 2…",
    };

    /// <summary>False for a cloud model that takes no negative prompt: the field is not shown.</summary>
    private bool TakesNegativePrompt => Model.Cloud.Model is not { TakesNegativePrompt: false };

    private string? NegativeError => ErrorFor(nameof(GenerationRequest.NegativePrompt)) ?? ErrorFor(CloudRequestValidator.NegativeField);

    private IEnumerable<FieldError> AllErrors => _errors.Concat(ExternalErrors);

    /// <summary>
    /// Said beside Generate when the last attempt was refused: the fields at fault may be out of sight in the
    /// parameters panel, which scrolls on its own.
    /// </summary>
    private string? FormProblem =>
        Model.Cloud.IsChosen && ErrorFor(CloudRequestValidator.ModelField) is { } refusal ? $"Not generated: {refusal}" // over budget, no key, no price: in words, here
        : AllErrors.Any() ? "Not generated: see the fields marked in red."
        : null;

    private bool HasError(string field) => AllErrors.Any(e => e.Field == field);

    private string? ErrorFor(string field) => AllErrors.FirstOrDefault(e => e.Field == field)?.Message;

    private string PickTitle(ModelPick? pick) =>
        pick is { Provider: { } provider, CloudModel: { } id } && CloudCatalog.Find(provider, id) is { } model ? ModelPick.CloudTitle(model)
        : ModelChoices.Title(Models, ModelKind.Checkpoints, pick?.Checkpoint);

    /// <summary>
    /// A model was picked: a cloud model shows its own fields (the local ones kept aside as they are); back to the same
    /// checkpoint restores the local fields untouched; another checkpoint applies its defaults.
    /// </summary>
    private async Task ModelPickedAsync(ModelPick pick)
    {
        if (pick.Group is not null)
        {
            return; // a heading
        }
        if (pick is { Provider: { } provider, CloudModel: { } id })
        {
            if (Cloud.Models.FirstOrDefault(m => m.Provider == provider && m.Id == id) is { } model)
            {
                Model.Cloud.Choose(model);
            }
            return;
        }
        Model.Cloud.Clear();
        if (pick.Checkpoint != Model.Checkpoint)
        {
            CheckpointPicked(pick.Checkpoint);
            await RefreshOfferAsync();
        }
    }

    protected override Task OnParametersSetAsync() => RefreshOfferAsync();

    /// <summary>Asks again for an offer when the checkpoint or the list changed.</summary>
    private async Task RefreshOfferAsync()
    {
        var list = Limits?.Checkpoints ?? [];
        if (_offerAskedFor is { } asked && asked.Checkpoint == Model.Checkpoint && ReferenceEquals(asked.List, list))
        {
            return;
        }
        _offerAskedFor = (Model.Checkpoint, list);
        _offer = OfferFor is null ? null : await OfferFor(Model.Checkpoint, list);
    }

    /// <summary>"Use … instead": the offered checkpoint replaces the missing one, as if picked.</summary>
    private async Task UseReplacementAsync(string replacement)
    {
        _errors = [.. _errors.Where(e => e.Field != nameof(GenerationRequest.Checkpoint))];
        CheckpointPicked(replacement);
        await RefreshOfferAsync();
    }

    /// <summary>A checkpoint was picked: its defaults are applied and the form says what they changed.</summary>
    private void CheckpointPicked(string name)
    {
        Model.Checkpoint = name;
        _offer = null;
        _defaultsNote = Models is null ? null : ModelChoices.ApplyDefaults(Models.Get(ModelKind.Checkpoints.Folder, name), Model, Limits);
        if (_defaultsNote is not null)
        {
            Snackbar.Add(_defaultsNote, Severity.Info);
        }
    }

    /// <summary>A LoRA was added in the picker: its trigger words join the prompt.</summary>
    private void LoraAdded(string name)
    {
        if (Models?.Get(ModelKind.Loras.Folder, name) is { TriggerWords.Count: > 0 } info)
        {
            var prompt = ModelChoices.WithTriggerWords(Model.Prompt, info.TriggerWords);
            if (prompt != Model.Prompt)
            {
                Model.Prompt = prompt;
                Snackbar.Add($"Added the trigger words of {info.Title} to the prompt: {string.Join(", ", info.TriggerWords)}.", Severity.Info);
            }
        }
    }

    private void NewRandomSeed()
    {
        Model.SeedMode = SeedMode.Fixed;
        Model.SeedText = SeedPolicy.NextRandom(Random.Shared).ToString(CultureInfo.InvariantCulture);
    }

    private async Task SubmitAsync()
    {
        var (requests, errors) = await Model.ToRequestsAsync(Limits, Complete);
        _errors = errors;
        if (requests.Count > 0)
        {
            await OnSubmit.InvokeAsync(requests);
        }
    }
}
