using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Models;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace DreamLayer.Web.Features.Img2Txt;

/// <summary>
/// Img2Txt (<c>/img2txt</c>): a picture (a file, checked and stored as every upload is, or an image of the gallery the
/// person may see, copied into the uploads) described as a prompt by the chosen describer
/// (<see cref="ImageDescriptions"/>), with optional instructions. "Send to Txt2Img" opens Txt2Img with the person's
/// usual settings and the description as the prompt (<see cref="GenerationDrafts"/>).
/// </summary>
public sealed partial class Img2TxtPage
{
    [Inject] private ImageDescriptions Descriptions { get; set; } = default!;
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private UploadAccess UploadAccess { get; set; } = default!;
    [Inject] private ImageStore Images { get; set; } = default!;
    [Inject] private GalleryService Gallery { get; set; } = default!;
    [Inject] private IOptions<StorageOptions> Storage { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;
    [Inject] private GenerationDrafts Drafts { get; set; } = default!;
    [Inject] private StartingSettings Starting { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;

    /// <summary>A gallery image sent here (<c>/img2txt?image=…</c>), used as if it had been picked.</summary>
    [SupplyParameterFromQuery(Name = "image")]
    public Guid? GalleryImage { get; set; }

    private IReadOnlyList<Describer>? _describers;
    private string? _describerId;
    private bool _isAdmin;
    private UploadAccepted? _picture;
    private string? _pictureName;
    private string? _pictureError;
    private string? _instructions;
    private string? _description;
    private string? _by;
    private string? _error;
    private bool _busy;
    private Guid? _galleryImageAdded;

    private Describer? Chosen => _describers?.FirstOrDefault(d => d.Id == _describerId);

    protected override async Task OnInitializedAsync()
    {
        _isAdmin = (await CurrentUser.GetAsync()).IsAdmin;
        await LoadDescribersAsync();
    }

    protected override async Task OnParametersSetAsync()
    {
        // Once, in the live circuit (not during prerendering, which would store the copy twice).
        if (GalleryImage is { } id && id != _galleryImageAdded && RendererInfo.IsInteractive)
        {
            _galleryImageAdded = id;
            await UseGalleryImageAsync(id);
        }
    }

    private async Task LoadDescribersAsync()
    {
        _describers = await Descriptions.ChoicesAsync(CancellationToken.None);
        if (Chosen is null)
        {
            _describerId = _describers.Count > 0 ? _describers[0].Id : null;
        }
    }

    private async Task ChooseFileAsync(InputFileChangeEventArgs e)
    {
        var result = await Uploads.SaveAsync(e.File, ImagePurpose.Source, CancellationToken.None);
        await UseAsync(e.File.Name, result);
    }

    private async Task PickFromGalleryAsync()
    {
        var parameters = new DialogParameters<PreviewPickerDialog> { { d => d.ForPreview, false } };
        var dialog = await Dialogs.ShowAsync<PreviewPickerDialog>("Pick an image to describe", parameters, new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: Guid imageId })
        {
            await UseGalleryImageAsync(imageId);
        }
    }

    /// <summary>Copies a gallery image the person may see into the uploads; any other id reads as an image that does not exist.</summary>
    private async Task UseGalleryImageAsync(Guid id)
    {
        var viewer = await CurrentUser.GetAsync();
        if (await Gallery.FindVisibleAsync(viewer, id) is not { } image || Images.Locate(image) is not { } path || !File.Exists(path))
        {
            await UseAsync("Gallery image", new UploadRejected("This image no longer exists."));
            return;
        }
        await using var stream = File.OpenRead(path);
        var name = ImageEndpoints.DownloadName(image);
        await UseAsync(name, await Uploads.SaveAsync(stream, name, ImagePurpose.Source, CancellationToken.None));
    }

    private async Task UseAsync(string name, UploadResult result)
    {
        switch (result)
        {
            case UploadAccepted accepted:
                UploadAccess.RecordOwner(accepted.Id, await CurrentUser.GetAsync());
                (_picture, _pictureName, _pictureError) = (accepted, name, null);
                (_description, _error) = (null, null);
                break;
            case UploadRejected rejected:
                _pictureError = $"{name}: {rejected.Message}";
                break;
        }
    }

    private async Task DescribeAsync()
    {
        if (_picture is not { } picture || Chosen is not { } describer)
        {
            return;
        }
        _busy = true;
        _error = null;
        try
        {
            var instructions = describer.TakesInstructions && !string.IsNullOrWhiteSpace(_instructions) ? _instructions.Trim() : null;
            switch (await Descriptions.DescribeAsync(describer.Id, picture.Id, instructions, CancellationToken.None))
            {
                case Described described:
                    (_description, _by) = (described.Text, described.By);
                    break;
                case DescribeFailed failed:
                    _error = failed.Message;
                    break;
            }
        }
        finally
        {
            _busy = false;
        }
        await LoadDescribersAsync(); // a server may have come or gone meanwhile
    }

    private async Task SendToTxt2Img()
    {
        if (string.IsNullOrWhiteSpace(_description))
        {
            return;
        }
        // The person's usual Txt2Img settings (their last job's, or their defaults) with the description as the prompt.
        var start = await Starting.ForAsync(GenerationMode.Txt2Img, CancellationToken.None);
        var request = start.Request with { Mode = GenerationMode.Txt2Img, Prompt = _description.Trim() };
        Drafts.Offer(GenerationMode.Txt2Img, new GenerationDraft(request, $"Img2Txt ({_by})", []));
        Navigation.NavigateTo("/");
    }
}
