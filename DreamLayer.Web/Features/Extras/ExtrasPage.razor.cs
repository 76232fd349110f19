using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace DreamLayer.Web.Features.Extras;

/// <summary>One chosen file: stored (<see cref="Accepted"/>) or refused with a reason (<see cref="Error"/>).</summary>
public sealed record PickedFile(string Name, UploadAccepted? Accepted, string? Error);

/// <summary>
/// Upscales uploaded images: each chosen file is checked and stored by <see cref="UploadStore"/>, and Upscale
/// queues one job per stored image. Jobs run in the background like generation jobs.
/// </summary>
public sealed partial class ExtrasPage
{
    private const int MaxFiles = 50;

    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private JobQueue Queue { get; set; } = default!;
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private GalleryService Gallery { get; set; } = default!;
    [Inject] private ImageStore Images { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelSettings ModelSettings { get; set; } = default!;

    /// <summary>A gallery image sent here ("send to Extras"), added to the list like a chosen file.</summary>
    [SupplyParameterFromQuery(Name = "image")]
    public Guid? GalleryImage { get; set; }

    private Guid? _galleryImageAdded;

    private readonly List<PickedFile> _files = [];
    private GenerationLimits? _limits;
    private UpscaleMethod _method = UpscaleMethod.Resize;
    private string _filter = "lanczos";
    private string _model = string.Empty;
    private bool _byScale = true;
    private double _scale = 2;
    private int _width = 2048;
    private int _height = 2048;
    private bool _busy;
    private IReadOnlyList<FieldError> _submitErrors = [];
    private IDisposable? _backendSubscription;
    private IDisposable? _modelsSubscription;
    private bool _isAdmin;

    private bool NoModels => _limits is not null && _limits.UpscaleModels.Count == 0;

    protected override async Task OnInitializedAsync()
    {
        _isAdmin = (await CurrentUser.GetAsync()).IsAdmin;
        ApplyLimits();
        _backendSubscription = Pool.Subscribe(changed => InvokeAsync(() =>
        {
            ApplyLimits();
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
        _modelsSubscription = ModelSettings.Subscribe(_ => InvokeAsync(() =>
        {
            ApplyLimits();
            StateHasChanged();
        }).Observe(DispatchExceptionAsync));
    }

    private void ApplyLimits()
    {
        _limits = ModelChoices.For(Pool.Limits, ModelSettings, _isAdmin); // members never see a hidden model
        if (_limits is null)
        {
            return;
        }
        if (_limits.ResizeFilters.Count > 0 && !_limits.ResizeFilters.Contains(_filter))
        {
            _filter = _limits.ResizeFilters.Contains("lanczos") ? "lanczos" : _limits.ResizeFilters[0];
        }
        if (!_limits.UpscaleModels.Contains(_model))
        {
            _model = _limits.UpscaleModels.Count > 0 ? _limits.UpscaleModels[0] : string.Empty;
        }
        if (_limits.UpscaleModels.Count == 0)
        {
            _method = UpscaleMethod.Resize;
        }
    }

    protected override async Task OnParametersSetAsync()
    {
        // Once, in the live circuit (not during prerendering, which would store the upload twice).
        if (GalleryImage is { } id && id != _galleryImageAdded && RendererInfo.IsInteractive)
        {
            _galleryImageAdded = id;
            await AddGalleryImageAsync(id);
        }
    }

    /// <summary>Copies a gallery image the person may see into the uploads, as if they had chosen its file.</summary>
    private async Task AddGalleryImageAsync(Guid id)
    {
        var viewer = await CurrentUser.GetAsync();
        if (await Gallery.FindVisibleAsync(viewer, id) is not { } image || Images.Locate(image) is not { } path || !File.Exists(path))
        {
            _files.Add(new PickedFile("Gallery image", null, "This image no longer exists."));
            return;
        }
        await using var stream = File.OpenRead(path);
        var name = ImageEndpoints.DownloadName(image);
        _files.Add(Picked(name, await Uploads.SaveAsync(stream, name, ImagePurpose.Upscale, CancellationToken.None)));
    }

    private static PickedFile Picked(string name, UploadResult result) => result switch
    {
        UploadAccepted accepted => new PickedFile(name, accepted, null),
        UploadRejected rejected => new PickedFile(name, null, rejected.Message),
        var other => throw new InvalidOperationException($"Unexpected upload result {other.GetType().Name}."),
    };

    private async Task AddFilesAsync(InputFileChangeEventArgs e)
    {
        foreach (var file in e.GetMultipleFiles(MaxFiles))
        {
            _files.Add(Picked(file.Name, await Uploads.SaveAsync(file, ImagePurpose.Upscale, CancellationToken.None)));
            StateHasChanged();
        }
    }

    private static string Describe(PickedFile file) => file.Accepted is { } a
        ? $" · {a.Width}×{a.Height} · {UploadStore.FormatSize(a.Bytes)}"
        : string.Empty;

    private async Task UpscaleAsync()
    {
        _busy = true;
        _submitErrors = [];
        var queued = 0;
        try
        {
            var user = await CurrentUser.GetAsync();
            foreach (var file in _files.Where(f => f.Accepted is not null))
            {
                var request = new GenerationRequest
                {
                    Mode = GenerationMode.Upscale,
                    SourceImage = file.Accepted!.Id,
                    UpscaleMethod = _method,
                    ResizeFilter = _filter,
                    UpscaleModel = _method == UpscaleMethod.Model ? _model : string.Empty,
                    Scale = _byScale ? _scale : null,
                    Width = _width,
                    Height = _height,
                };
                switch (await Queue.SubmitAsync(request, user.Id, CancellationToken.None))
                {
                    case SubmitAccepted:
                        queued++;
                        break;
                    case SubmitInvalid invalid:
                        _submitErrors = invalid.Errors;
                        return;
                }
            }
            Snackbar.Add(queued == 1 ? "Queued 1 upscale job." : $"Queued {queued} upscale jobs.", Severity.Success);
        }
        finally
        {
            _busy = false;
        }
    }

    public void Dispose()
    {
        _backendSubscription?.Dispose();
        _modelsSubscription?.Dispose();
    }
}
