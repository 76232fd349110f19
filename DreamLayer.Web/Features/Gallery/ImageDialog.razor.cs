using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// One image: the picture, every parameter, the graph that was sent, its metrics, and what the viewer may do
/// with it. Only what the viewer may see is loaded; the buttons for owner-only actions appear only for the
/// owner or an admin, and <see cref="GalleryService"/> checks again whatever is pressed.
/// </summary>
public sealed partial class ImageDialog : IAsyncDisposable
{
    [CascadingParameter]
    private IMudDialogInstance Dialog { get; set; } = default!;

    /// <summary>The image to show.</summary>
    [Parameter, EditorRequired]
    public required Guid ImageId { get; set; }

    /// <summary>The images previous/next walk through (the job list's, newest first; the gallery's, in its order); null or one image shows no arrows.</summary>
    [Parameter]
    public IReadOnlyList<Guid>? Sequence { get; set; }

    private IReadOnlyList<Guid> _sequence = [];
    private int _index;
    private Guid _current;
    private bool _started;
    private DotNetObjectReference<ImageDialog>? _self;
    private readonly string _listenerKey = Guid.NewGuid().ToString("N");

    /// <summary>Img2img, inpaint and upscale: the source upload, for the before/after slider (null when it is no longer stored).</summary>
    private string? _beforeUrl;
    private int _split = 50;

    private SignedInUser? _viewer;
    private ImageDetails? _details;
    private bool _missing;
    private IJSObjectReference? _module;

    protected override async Task OnParametersSetAsync()
    {
        _viewer ??= await CurrentUser.GetAsync();
        if (!_started)
        {
            _started = true;
            _current = ImageId;
            _sequence = Sequence is { } sequence && sequence.Contains(ImageId) ? sequence : [ImageId];
            _index = _sequence.ToList().IndexOf(ImageId);
        }
        await LoadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // The sequence is known once the parameters are read, which may finish after the first render.
        if (_self is null && _sequence.Count > 1)
        {
            // Left and right arrows page through the images while the dialog is open.
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Gallery/ImageDialog.razor.js");
            _self = DotNetObjectReference.Create(this);
            await _module.InvokeVoidAsync("listenArrows", _listenerKey, _self);
            Dialog.StateHasChanged(); // the title says the keys now work (data-keys="ready")
        }
    }

    /// <summary>Called by the arrow keys: -1 previous, +1 next.</summary>
    [JSInvokable]
    public Task MoveAsync(int by)
    {
        var next = _index + by;
        if (next < 0 || next >= _sequence.Count)
        {
            return Task.CompletedTask;
        }
        return InvokeAsync(async () =>
        {
            _index = next;
            _current = _sequence[next];
            await LoadAsync();
            StateHasChanged();
            Dialog.StateHasChanged(); // the title (with the arrows and the position) is drawn by the dialog instance
        });
    }

    private async Task LoadAsync()
    {
        _details = await Gallery.DetailsAsync(_viewer!, _current, CancellationToken.None);
        _missing = _details is null;
        _beforeUrl = _details is { Job: var job } && job.Mode is nameof(GenerationMode.Img2Img) or nameof(GenerationMode.Inpaint) or nameof(GenerationMode.Upscale)
            && StoredRequest.Read(job.RequestJson) is StoredRequestRead { Request.SourceImage: { } source } && Uploads.Locate(source) is not null
            ? $"/uploads/{source}"
            : null;
    }

    /// <summary>Opens the dialog for one image, the same way from every page.</summary>
    public static Task<IDialogReference> ShowAsync(IDialogService dialogs, Guid imageId, IReadOnlyList<Guid>? sequence = null) =>
        dialogs.ShowAsync<ImageDialog>("Image", new DialogParameters<ImageDialog> { { d => d.ImageId, imageId }, { d => d.Sequence, sequence } },
            new DialogOptions { MaxWidth = MaxWidth.ExtraLarge, FullWidth = true, CloseButton = true, CloseOnEscapeKey = true });

    private async Task ToggleFavouriteAsync()
    {
        await Gallery.SetFavouriteAsync(_viewer!, _current, !_details!.IsFavourite);
        await LoadAsync();
    }

    private async Task TogglePrivateAsync()
    {
        var makePrivate = !_details!.Image.IsPrivate;
        var result = await Gallery.SetPrivateAsync(_viewer!, [_current], makePrivate);
        Report(result, makePrivate ? "made private" : "made public");
        await LoadAsync();
    }

    private async Task TrashAsync()
    {
        var result = await Gallery.TrashAsync(_viewer!, [_current]);
        Report(result, "moved to the trash");
        if (result.Done > 0)
        {
            Dialog.Close(DialogResult.Ok(true));
        }
    }

    private async Task RestoreAsync()
    {
        var result = await Gallery.RestoreAsync(_viewer!, [_current]);
        Report(result, "restored");
        await LoadAsync();
    }

    private async Task CopyAsync()
    {
        _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Gallery/ImageDialog.razor.js");
        var copied = await _module.InvokeAsync<bool>("copyText", _details!.Image.Parameters);
        Snackbar.Add(copied ? "Parameters copied." : "The browser did not allow copying; select the parameters text instead.", copied ? Severity.Success : Severity.Warning);
    }

    /// <summary>The page "reuse parameters" opens for a job's mode, or null where there is none to fill (Extras, workflows).</summary>
    public static string? ReusePage(string mode) => mode switch
    {
        nameof(GenerationMode.Txt2Img) => "/",
        nameof(GenerationMode.Img2Img) => "/img2img",
        nameof(GenerationMode.Inpaint) => "/inpaint",
        _ => null,
    };

    /// <summary>
    /// Opens the page of the image's mode with its settings, its seed fixed, so Generate makes it again: for img2img
    /// and inpaint also its source image, mask, LoRAs and ControlNet units with their pictures. Checked again here
    /// that the person may still see the image, since its job's uploads come with it.
    /// </summary>
    private async Task ReuseAsync()
    {
        var job = _details!.Job;
        if (ReusePage(job.Mode) is not { } page || !Enum.TryParse<GenerationMode>(job.Mode, out var mode))
        {
            return;
        }
        if (await Gallery.FindVisibleAsync(_viewer!, _current) is null)
        {
            Snackbar.Add("That image no longer exists.", Severity.Warning);
            Dialog.Close();
            return;
        }
        var stored = StoredRequest.Read(job.RequestJson);
        if (stored is StoredRequestUnreadable unreadable)
        {
            Snackbar.Add($"These settings cannot be reused: {unreadable.Reason}", Severity.Error);
            return;
        }
        var request = ((StoredRequestRead)stored).Request with { Mode = mode, SeedMode = SeedMode.Fixed, Seed = job.Seed, BatchCount = 1 };
        Drafts.Offer(mode, new GenerationDraft(request, "an image from the gallery", []));
        Dialog.Close();
        Navigation.NavigateTo(page);
    }

    /// <summary>Closes the dialog and opens img2img or inpaint with this image as the source.</summary>
    private void SendTo(string page)
    {
        Dialog.Close();
        Navigation.NavigateTo($"{page}?from={_current}");
    }

    /// <summary>Opens Extras with this image chosen, ready to upscale.</summary>
    private void SendToExtras()
    {
        Dialog.Close();
        Navigation.NavigateTo($"/extras?image={_current}");
    }

    private void Report(GalleryActionResult result, string verb) =>
        Snackbar.Add(result.Refused == 0 ? $"Image {verb}." : "Only the owner or an admin can do that.", result.Refused == 0 ? Severity.Success : Severity.Warning);

    /// <summary>"$0.04 (4 credits at the provider)": the price counted against the budgets, and what the provider reported it charged.</summary>
    private static string CloudCostText(JobEntity job)
    {
        var counted = job.CostUsd is { } usd ? DreamLayer.Web.Cloud.Pricing.CloudPricing.Format(usd) : "not counted";
        return job.CloudCost is { } charged && job.CloudCostUnit is { } unit
            ? $"{counted} ({charged.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture)} {unit} at the provider)"
            : counted;
    }

    private static string Ms(double? ms) => ms switch
    {
        null => "—",
        < 1000 => $"{ms:0} ms",
        _ => $"{ms / 1000:0.0} s",
    };

    public async ValueTask DisposeAsync()
    {
        if (_module is not null)
        {
            try
            {
                if (_self is not null)
                {
                    await _module.InvokeVoidAsync("stopArrows", _listenerKey);
                }
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone.
            }
        }
        _self?.Dispose();
    }
}
