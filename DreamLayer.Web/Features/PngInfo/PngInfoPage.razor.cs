using System.Globalization;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.PngInfo;

/// <summary>
/// Shows the generation parameters an image carries and which tool wrote them. The file is checked with the upload
/// limits (bytes, format, dimensions from the header), read in memory and never stored. "Send to Txt2Img" hands
/// what maps to the Txt2Img page through <see cref="GenerationDrafts"/>.
/// </summary>
public sealed partial class PngInfoPage
{
    /// <summary>Raw text shown per entry; a ComfyUI workflow can be megabytes, which a browser need not receive whole.</summary>
    private const int MaxShownChars = 200_000;

    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private IOptions<StorageOptions> Storage { get; set; } = default!;
    [Inject] private BackendPool Pool { get; set; } = default!;
    [Inject] private GenerationDrafts Drafts { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private DreamLayer.Web.Models.ModelSettings ModelSettings { get; set; } = default!;
    [Inject] private CurrentUser CurrentUser { get; set; } = default!;

    private string? _fileName;
    private string? _fileSummary;
    private string? _error;
    private ImageMetadata? _result;
    private bool _busy;

    private async Task ReadFileAsync(InputFileChangeEventArgs e)
    {
        var file = e.File;
        _fileName = file.Name;
        _fileSummary = null;
        _result = null;
        _error = null;
        var limit = Storage.Value.MaxImageBytes;
        if (file.Size > limit)
        {
            _error = UploadStore.TooLarge(file.Size, limit, exact: true).Message;
            return;
        }
        _busy = true;
        try
        {
            await using var stream = file.OpenReadStream(maxAllowedSize: limit);
            switch (await Uploads.CheckAsync(stream, CancellationToken.None))
            {
                case UploadInspected inspected:
                    _fileSummary = string.Create(CultureInfo.InvariantCulture, $" · {inspected.Format.ToUpperInvariant()} · {inspected.Width}×{inspected.Height} · {UploadStore.FormatSize(inspected.Bytes.LongLength)}");
                    _result = ImageMetadataReader.Read(inspected.Bytes);
                    break;
                case UploadRejected rejected:
                    _error = rejected.Message;
                    break;
            }
        }
        catch (IOException ex)
        {
            _error = $"The file could not be read: {ex.Message}";
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task SendToTxt2Img()
    {
        if (_result?.Generation is not { } generation)
        {
            return;
        }
        // Matched against the lists this person may pick from: a member is never handed a model an admin hid.
        var limits = ModelChoices.For(Pool.Limits, ModelSettings, (await CurrentUser.GetAsync()).IsAdmin);
        var (request, notes) = MetadataToRequest.ToTxt2Img(generation, limits);
        Drafts.Offer(GenerationMode.Txt2Img, new GenerationDraft(request, $"{_fileName} ({generation.ToolLabel})", notes));
        Navigation.NavigateTo("/");
    }

    private static string Shown(string text) => text.Length <= MaxShownChars
        ? text
        : string.Concat(text.AsSpan(0, MaxShownChars), string.Create(CultureInfo.InvariantCulture, $"\n… (the first {MaxShownChars:N0} of {text.Length:N0} characters)"));
}
