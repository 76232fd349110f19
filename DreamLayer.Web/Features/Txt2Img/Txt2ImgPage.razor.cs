using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;

namespace DreamLayer.Web.Features.Txt2Img;

/// <summary>Orchestrates the txt2img form; the job list beside it watches what was submitted.</summary>
public sealed partial class Txt2ImgPage
{
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelSettings ModelSettings { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelFallback Fallback { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private GenerationSubmitter Submitter { get; set; } = default!;
    [Inject] private GenerationDrafts Drafts { get; set; } = default!;
    [Inject] private StartingSettings Starting { get; set; } = default!;
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private CloudOffers CloudOffers { get; set; } = default!;

    private readonly Txt2ImgFormModel _model = new();
    private GenerationLimits? _limits;
    private CloudOffer _cloud = CloudOffer.None;
    private bool _submitting;
    private IReadOnlyList<FieldError> _submitErrors = [];
    private IDisposable? _backendSubscription;
    private IDisposable? _modelsSubscription;
    private bool _isAdmin;
    private GenerationDraft? _draft;
    private IReadOnlyList<string> _draftNotes = [];

    /// <summary>Why the form starts from its defaults instead of the last job's settings (they could not be read).</summary>
    private string? _lastSettingsNote;

    protected override async Task OnInitializedAsync()
    {
        _isAdmin = (await CurrentUser.GetAsync()).IsAdmin;
        // A form sent from another page (PNG Info, ...) wins over the last job's settings.
        _draft = Drafts.Take(GenerationMode.Txt2Img);
        if (_draft is not null)
        {
            _model.CopyFrom(_draft.Request);
            _draftNotes = await DraftUploads.RestoreControlNetsAsync(_model.Advanced, _draft.Request.ControlNets, Uploads, CancellationToken.None);
        }
        else
        {
            await CopyLastJobAsync();
        }
        await LoadCloudOfferAsync();
        ApplyLimits();
        _modelsSubscription = ModelSettings.Subscribe(_ => InvokeAsync(() =>
        {
            ApplyLimits();
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
        _backendSubscription = Pool.Subscribe(changed =>
        {
            InvokeAsync(() =>
            {
                ApplyLimits();
                StateHasChanged();
            }).Observe(DispatchExceptionAsync);
        });
    }

    // The form opens with the settings of this person's last txt2img job (batch count 1), or their defaults.
    private async Task CopyLastJobAsync()
    {
        var start = await Starting.ForAsync(GenerationMode.Txt2Img, CancellationToken.None);
        _model.CopyFrom(start.Request);
        _lastSettingsNote = start.Note;
    }

    /// <summary>The cloud models of the providers with a key, their prices and this person's budget left (read again after each submit).</summary>
    private async Task LoadCloudOfferAsync()
    {
        _cloud = await CloudOffers.ForAsync((await CurrentUser.GetAsync()).Id, GenerationMode.Txt2Img, CancellationToken.None);
        _cloud.Fit(_model.Cloud);
    }

    private IReadOnlyList<string> CheckpointServers(string checkpoint) => Pool.ServersWith(checkpoint, l => l.Checkpoints);

    private void ApplyLimits()
    {
        _limits = ModelChoices.For(Pool.Limits, ModelSettings, _isAdmin); // members never see a hidden model
        if (_limits is not null)
        {
            _model.FitTo(_limits);
        }
    }

    private async Task SubmitAsync(IReadOnlyList<GenerationRequest> requests)
    {
        _submitting = true;
        _submitErrors = [];
        try
        {
            _submitErrors = await Submitter.SubmitAsync(requests);
            if (_model.Cloud.IsChosen)
            {
                await LoadCloudOfferAsync(); // the budget left changed
            }
        }
        finally
        {
            _submitting = false;
        }
    }

    public void Dispose()
    {
        _backendSubscription?.Dispose();
        _modelsSubscription?.Dispose();
    }
}
