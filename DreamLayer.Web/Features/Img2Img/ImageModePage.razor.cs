using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Features.Txt2Img;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ResizeMode = DreamLayer.Domain.Generation.ResizeMode;

namespace DreamLayer.Web.Features.Img2Img;

/// <summary>
/// Img2img and inpaint: the txt2img form (<see cref="GenerationForm"/>) plus a source image, denoise and resize mode,
/// and for inpainting a painted mask and its options. The source and the mask are stored uploads; the request only
/// names them.
/// </summary>
public sealed partial class ImageModePage : IDisposable
{
    [Inject] private DreamLayer.Web.Features.Gallery.GalleryService Gallery { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelSettings ModelSettings { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelFallback Fallback { get; set; } = default!;
    [Inject] private GenerationSubmitter Submitter { get; set; } = default!;
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private ImageStore Images { get; set; } = default!;
    [Inject] private IOptions<StorageOptions> Storage { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private GenerationDrafts Drafts { get; set; } = default!;
    [Inject] private StartingSettings Starting { get; set; } = default!;
    [Inject] private UploadAccess UploadAccess { get; set; } = default!;
    [Inject] private CloudOffers CloudOffers { get; set; } = default!;

    /// <summary><see cref="GenerationMode.Img2Img"/> or <see cref="GenerationMode.Inpaint"/>.</summary>
    [Parameter, EditorRequired]
    public required GenerationMode Mode { get; set; }

    /// <summary>A finished image to start from, when the page was opened by "Send to".</summary>
    [Parameter]
    public Guid? From { get; set; }

    private readonly Txt2ImgFormModel _model = new();
    private GenerationLimits? _limits;
    private CloudOffer _cloud = CloudOffer.None;
    private UploadAccepted? _source;
    private MaskCanvas? _mask;
    private double _denoise = 0.75;
    private ResizeMode _resizeMode = ResizeMode.JustResize;
    private MaskedContent _maskedContent = MaskedContent.Original;
    private InpaintArea _area = InpaintArea.WholePicture;
    private int _maskBlur = new InpaintSettings().MaskBlur;
    private int _padding = new InpaintSettings().Padding;
    private string? _maskError;
    private string? _fromError;

    /// <summary>Why the form starts from its defaults instead of the last job's settings (they could not be read).</summary>
    private string? _lastSettingsNote;
    private bool _submitting;
    private IReadOnlyList<FieldError> _submitErrors = [];
    private IDisposable? _backendSubscription;
    private IDisposable? _modelsSubscription;
    private bool _isAdmin;
    private GenerationDraft? _draft;
    private IReadOnlyList<string> _draftNotes = [];

    /// <summary>The mask an inpaint draft starts from, for as long as its source is the one shown.</summary>
    private (Guid Source, Guid Mask)? _initialMask;

    private bool Inpainting => Mode == GenerationMode.Inpaint;

    /// <summary>True when the chosen cloud model weighs the source picture by the denoise (Ideogram's remix).</summary>
    private bool CloudWeighsThePicture => !Inpainting && _model.Cloud.Model?.EditInput is { TakesImageWeight: true };

    private string? InitialMaskUrl => _initialMask is { } m && m.Source == _source?.Id ? $"/uploads/{m.Mask}" : null;

    protected override async Task OnInitializedAsync()
    {
        var user = await CurrentUser.GetAsync();
        _isAdmin = user.IsAdmin;
        // A form sent from another page ("reuse parameters" in the gallery) wins over the last job's settings.
        _draft = Drafts.Take(Mode);
        if (_draft is not null)
        {
            await UseDraftAsync(_draft.Request);
        }
        else
        {
            // The form opens with the settings of this person's last job of this mode (batch count 1), or their defaults.
            var start = await Starting.ForAsync(Mode, CancellationToken.None);
            UseSettings(start.Request);
            _lastSettingsNote = start.Note;
            if (From is { } imageId)
            {
                await StartFromAsync(imageId, user);
            }
        }
        await LoadCloudOfferAsync();
        ApplyLimits();
        _modelsSubscription = ModelSettings.Subscribe(_ => InvokeAsync(() =>
        {
            ApplyLimits();
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
        _backendSubscription = Pool.Subscribe(changed => InvokeAsync(() =>
        {
            ApplyLimits();
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
    }

    /// <summary>"Send to": the finished image becomes the source (checked and stored like an upload) with the settings it was made with.</summary>
    private async Task StartFromAsync(Guid imageId, SignedInUser user)
    {
        // Only an image this person may see in the gallery (someone else's private image is "no longer exists").
        var image = await Gallery.FindVisibleWithJobAsync(user, imageId);
        if (image is null || Images.Locate(image) is not { } path || !File.Exists(path))
        {
            _fromError = "That image no longer exists; choose an image instead.";
            return;
        }
        if (image.Job is { } job && job.Mode != nameof(GenerationMode.Upscale))
        {
            switch (StoredRequest.Read(job.RequestJson))
            {
                case StoredRequestRead read:
                    UseSettings(read.Request);
                    break;
                case StoredRequestUnreadable unreadable:
                    _lastSettingsNote = $"The image is the source, but the settings it was made with could not be read. {unreadable.Reason}";
                    break;
            }
        }
        await using var file = File.OpenRead(path);
        switch (await Uploads.SaveAsync(file, Path.GetFileName(path), CancellationToken.None))
        {
            case UploadAccepted accepted:
                UploadAccess.RecordOwner(accepted.Id, user);
                UseSource(accepted);
                break;
            case UploadRejected rejected:
                _fromError = rejected.Message;
                break;
        }
    }

    /// <summary>
    /// Everything an earlier request of this mode had: settings, its source upload (the size stays the request's), for
    /// inpainting its mask, and the ControlNet units with their pictures. The sender (the image dialog) only offers
    /// requests of images the person may see; what is no longer stored is left out, with a note saying so.
    /// </summary>
    private async Task UseDraftAsync(GenerationRequest request)
    {
        UseSettings(request);
        var notes = (await DraftUploads.RestoreControlNetsAsync(_model.Advanced, request.ControlNets, Uploads, CancellationToken.None)).ToList();
        _source = request.SourceImage is { } sourceId ? await Uploads.FindAsync(sourceId, CancellationToken.None) : null;
        if (_source is null)
        {
            notes.Insert(0, "The source image of that job is no longer stored; choose an image.");
        }
        else if (Inpainting && request.Mask is { } mask)
        {
            if (Uploads.Locate(mask.Upload) is null)
            {
                notes.Add("The mask of that job is no longer stored; paint it again.");
            }
            else
            {
                _initialMask = (_source.Id, mask.Upload);
            }
        }
        _draftNotes = notes;
    }

    private void UseSettings(GenerationRequest request)
    {
        _model.CopyFrom(request);
        _denoise = request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint ? request.Denoise : _denoise;
        _resizeMode = request.ResizeMode;
        if (request.Mode == GenerationMode.Inpaint)
        {
            (_maskedContent, _area, _maskBlur, _padding) = (request.Inpaint.MaskedContent, request.Inpaint.Area, request.Inpaint.MaskBlur, request.Inpaint.Padding);
        }
    }

    /// <summary>A file the person chose: it is theirs (they may fetch it), and it becomes the source.</summary>
    private async Task ChooseSourceAsync(UploadAccepted source)
    {
        UploadAccess.RecordOwner(source.Id, await CurrentUser.GetAsync());
        UseSource(source);
    }

    /// <summary>A new source: the generation size follows it (see <see cref="Txt2ImgFormModel.SizeFromImage"/>); a new mask starts empty.</summary>
    private void UseSource(UploadAccepted source)
    {
        _source = source;
        _maskError = null;
        _model.SizeFromImage(source.Width, source.Height, _limits);
    }

    /// <summary>The cloud models that edit a picture the way this page does (Img2Img: a picture; Inpaint: with a mask), of the providers with a key.</summary>
    private async Task LoadCloudOfferAsync()
    {
        _cloud = await CloudOffers.ForAsync((await CurrentUser.GetAsync()).Id, Mode, CancellationToken.None);
        _cloud.Fit(_model.Cloud);
    }

    private void ApplyLimits()
    {
        _limits = ModelChoices.For(Pool.Limits, ModelSettings, _isAdmin); // members never see a hidden model
        if (_limits is not null)
        {
            _model.FitTo(_limits);
        }
    }

    private async Task<GenerationRequest> CompleteAsync(GenerationRequest request)
    {
        var complete = request with
        {
            Mode = Mode,
            SourceImage = _source?.Id,
            SourceWidth = _source?.Width ?? 0,
            SourceHeight = _source?.Height ?? 0,
            Denoise = _denoise,
            ResizeMode = _resizeMode,
        };
        if (!Inpainting)
        {
            return complete;
        }
        return complete with
        {
            Mask = await StoreMaskAsync(),
            Inpaint = new InpaintSettings { MaskedContent = _maskedContent, Area = _area, MaskBlur = _maskBlur, Padding = _padding },
        };
    }

    /// <summary>Reads the painted mask from the browser and stores it like any upload (checked, decoded under limits).</summary>
    private async Task<InpaintMask?> StoreMaskAsync()
    {
        _maskError = null;
        if (_mask is null || _source is null)
        {
            return null;
        }
        var limit = Storage.Value.MaxImageBytes;
        await using var png = await _mask.OpenMaskAsync(limit, CancellationToken.None);
        switch (await Uploads.SaveAsync(png, "mask.png", CancellationToken.None))
        {
            case UploadAccepted stored when await Uploads.PaintedBoundsAsync(stored.Id, CancellationToken.None) is { } painted:
                UploadAccess.RecordOwner(stored.Id, await CurrentUser.GetAsync());
                return new InpaintMask(stored.Id, stored.Width, stored.Height, painted);
            case UploadRejected rejected:
                _maskError = $"The mask could not be read: {rejected.Message}";
                return null;
            default:
                return null;
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
