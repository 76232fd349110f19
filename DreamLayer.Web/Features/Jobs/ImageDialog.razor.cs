using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Accounts;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace DreamLayer.Web.Features.Jobs;

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

    private SignedInUser? _viewer;
    private ImageDetails? _details;
    private bool _missing;
    private IJSObjectReference? _module;

    protected override async Task OnParametersSetAsync()
    {
        _viewer ??= await CurrentUser.GetAsync();
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _details = await ImageDetails.LoadAsync(DbFactory, _viewer!, ImageId, CancellationToken.None);
        _missing = _details is null;
    }

    /// <summary>Opens the dialog for one image, the same way from every page.</summary>
    public static Task<IDialogReference> ShowAsync(IDialogService dialogs, Guid imageId) =>
        dialogs.ShowAsync<ImageDialog>("Image", new DialogParameters<ImageDialog> { { d => d.ImageId, imageId } },
            new DialogOptions { MaxWidth = MaxWidth.ExtraLarge, FullWidth = true, CloseButton = true, CloseOnEscapeKey = true });

    private async Task ToggleFavouriteAsync()
    {
        await Gallery.SetFavouriteAsync(_viewer!, ImageId, !_details!.IsFavourite);
        await LoadAsync();
    }

    private async Task TogglePrivateAsync()
    {
        var makePrivate = !_details!.Image.IsPrivate;
        var result = await Gallery.SetPrivateAsync(_viewer!, [ImageId], makePrivate);
        Report(result, makePrivate ? "made private" : "made public");
        await LoadAsync();
    }

    private async Task TrashAsync()
    {
        var result = await Gallery.TrashAsync(_viewer!, [ImageId]);
        Report(result, "moved to the trash");
        if (result.Done > 0)
        {
            Dialog.Close(DialogResult.Ok(true));
        }
    }

    private async Task RestoreAsync()
    {
        var result = await Gallery.RestoreAsync(_viewer!, [ImageId]);
        Report(result, "restored");
        await LoadAsync();
    }

    private async Task CopyAsync()
    {
        _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Jobs/ImageDialog.razor.js");
        var copied = await _module.InvokeAsync<bool>("copyText", _details!.Image.Parameters);
        Snackbar.Add(copied ? "Parameters copied." : "The browser did not allow copying; select the parameters text instead.", copied ? Severity.Success : Severity.Warning);
    }

    /// <summary>Opens Txt2Img with this image's settings, its seed fixed, so Generate makes it again.</summary>
    private void Reuse()
    {
        var request = _details!.Job.ReadRequest() with { SeedMode = SeedMode.Fixed, Seed = _details.Job.Seed, BatchCount = 1 };
        Drafts.Offer(GenerationMode.Txt2Img, new GenerationDraft(request, "an image from the gallery", []));
        Dialog.Close();
        Navigation.NavigateTo("/");
    }

    /// <summary>Closes the dialog and opens img2img or inpaint with this image as the source.</summary>
    private void SendTo(string page)
    {
        Dialog.Close();
        Navigation.NavigateTo($"{page}?from={ImageId}");
    }

    /// <summary>Opens Extras with this image chosen, ready to upscale.</summary>
    private void SendToExtras()
    {
        Dialog.Close();
        Navigation.NavigateTo($"/extras?image={ImageId}");
    }

    private void Report(GalleryActionResult result, string verb) =>
        Snackbar.Add(result.Refused == 0 ? $"Image {verb}." : "Only the owner or an admin can do that.", result.Refused == 0 ? Severity.Success : Severity.Warning);

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
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone.
            }
        }
    }
}
