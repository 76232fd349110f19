using System.Globalization;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Features.Generation;

/// <summary>Batch prompts as edited: the list (pasted or read from a .txt file) and how seeds are chosen.</summary>
public sealed class BatchFormModel
{
    public const string Field = "BatchPrompts";

    public bool Enabled { get; set; }
    public string Text { get; set; } = string.Empty;
    public string? FileName { get; set; }
    public string? FileError { get; set; }
    public BatchSeedPolicy SeedPolicy { get; set; } = BatchSeedPolicy.Random;
    public string SeedText { get; set; } = string.Empty;

    public BatchPromptList Parsed => BatchPrompts.Parse(Text);

    /// <summary>One request per prompt (each queued with the form's batch count), or the problems.</summary>
    public (IReadOnlyList<GenerationRequest> Requests, IReadOnlyList<FieldError> Errors) Expand(GenerationRequest template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var list = Parsed;
        if (list.Errors.Count > 0)
        {
            return ([], list.Errors.Select(e => new FieldError(Field, e)).ToList());
        }
        if (list.Prompts.Count == 0)
        {
            return ([], [new FieldError(Field, "Write or load at least one prompt: one per line, lines starting with # are skipped.")]);
        }
        ulong? seed = null;
        if (SeedPolicy != BatchSeedPolicy.Random)
        {
            if (!ulong.TryParse(SeedText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                return ([], [new FieldError(Field, "A seed is a whole number from 0 to 18446744073709551615.")]);
            }
            seed = parsed;
        }
        return (BatchPrompts.Expand(template, list.Prompts, SeedPolicy, seed), []);
    }
}
