using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;
using DreamLayer.Web.Images;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.Generation;

/// <summary>
/// ControlNet units: add and remove; each has a model from the live list, a picture (checked and stored like every
/// upload), an optional preprocessor with its settings, and a Preview that runs the preprocessor on the server.
/// </summary>
public sealed partial class ControlNetUnits : IDisposable
{
    [Inject] private UploadStore Uploads { get; set; } = default!;
    [Inject] private ControlMapPreview Preview { get; set; } = default!;
    [Inject] private IOptions<StorageOptions> Storage { get; set; } = default!;

    /// <summary>The form state; units are added and removed here.</summary>
    [Parameter, EditorRequired]
    public required AdvancedFormModel Model { get; set; }

    /// <summary>The live server's models, preprocessors and what it cannot do; null while no server has been read.</summary>
    [Parameter]
    public AdvancedLimits? Limits { get; set; }

    /// <summary>Problems with the units from the last attempt.</summary>
    [Parameter]
    public IReadOnlyList<string> Errors { get; set; } = [];

    /// <summary>The admins' word on models (display names and families in the model list); null shows file names.</summary>
    [Parameter]
    public DreamLayer.Web.Models.ModelSettings? Models { get; set; }

    private readonly CancellationTokenSource _disposed = new();

    private void AddUnit()
    {
        var unit = new ControlNetRow { Model = Limits is { ControlNetModels.Count: > 0 } l ? l.ControlNetModels[0] : string.Empty };
        if (Limits?.CannyUnavailable is null)
        {
            unit.UsePreprocessor(Limits?.FindPreprocessor(AdvancedLimits.CannyClass));
        }
        Model.ControlNets.Add(unit);
    }

    private async Task SetImageAsync(ControlNetRow unit, InputFileChangeEventArgs e)
    {
        var limit = Storage.Value.MaxImageBytes;
        var file = e.File;
        unit.ImageName = file.Name;
        unit.PreviewUrl = null;
        unit.PreviewError = null;
        if (file.Size > limit)
        {
            (unit.Image, unit.ImageError) = (null, UploadStore.TooLarge(file.Size, limit, exact: true).Message);
            return;
        }
        try
        {
            await using var stream = file.OpenReadStream(maxAllowedSize: limit, _disposed.Token);
            (unit.Image, unit.ImageError) = await Uploads.SaveAsync(stream, file.Name, _disposed.Token) switch
            {
                UploadAccepted accepted => (accepted, (string?)null),
                UploadRejected rejected => (null, rejected.Message),
                var other => throw new InvalidOperationException($"Unexpected upload result {other.GetType().Name}."),
            };
        }
        catch (IOException ex)
        {
            (unit.Image, unit.ImageError) = (null, $"The file could not be read: {ex.Message}");
        }
    }

    private async Task PreviewAsync(ControlNetRow unit)
    {
        if (unit.Image is not { } image || unit.Preprocessor.Length == 0)
        {
            return;
        }
        unit.PreviewBusy = true;
        unit.PreviewError = null;
        try
        {
            var settings = unit.Settings.Where(s => s.Value is not null).ToDictionary(s => s.Key, s => s.Value?.DeepClone(), StringComparer.Ordinal);
            switch (await Preview.RunAsync(image.Id, unit.Preprocessor, settings, _disposed.Token))
            {
                case ControlMapReady ready:
                    unit.PreviewUrl = ready.DataUrl;
                    break;
                case ControlMapFailed failed:
                    (unit.PreviewUrl, unit.PreviewError) = (null, failed.Message);
                    break;
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            unit.PreviewBusy = false;
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
