using DreamLayer.Domain.Generation;
using DreamLayer.Web.Images;

namespace DreamLayer.Web.Features.Generation;

/// <summary>
/// Brings back the stored pictures an earlier request names when a form is filled from it ("reuse parameters"):
/// each ControlNet unit with its control picture, found in the upload store by id. A picture that is no longer stored
/// leaves its unit without one, with the reason on the unit and in the returned notes.
/// </summary>
public static class DraftUploads
{
    public const string ControlImageName = "from the earlier job";

    public static async Task<IReadOnlyList<string>> RestoreControlNetsAsync(AdvancedFormModel form, IReadOnlyList<ControlNetSetting> units, UploadStore uploads, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        ArgumentNullException.ThrowIfNull(units);
        ArgumentNullException.ThrowIfNull(uploads);
        form.ControlNets.Clear();
        var notes = new List<string>();
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var image = unit.Image is { } id ? await uploads.FindAsync(id, ct) : null;
            var row = new ControlNetRow
            {
                Model = unit.Model,
                Image = image,
                ImageName = image is null ? null : ControlImageName,
                Preprocessor = unit.Preprocessor ?? string.Empty,
                Strength = unit.Strength,
                StartPercent = unit.StartPercent,
                EndPercent = unit.EndPercent,
            };
            foreach (var (name, value) in unit.PreprocessorSettings)
            {
                row.Settings[name] = value?.DeepClone();
            }
            if (image is null)
            {
                row.ImageError = $"ControlNet unit {i + 1}: its picture is no longer stored; choose one.";
                notes.Add(row.ImageError);
            }
            form.ControlNets.Add(row);
        }
        return notes;
    }
}
