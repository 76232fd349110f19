using System.Text;

namespace DreamLayer.Domain.Generation;

/// <summary>How the seeds of a batch of prompts are chosen.</summary>
public enum BatchSeedPolicy
{
    /// <summary>A new random seed for every job.</summary>
    Random,
    /// <summary>The same seed for every prompt, so only the prompt changes.</summary>
    Fixed,
    /// <summary>The given seed for the first job, one more for each next job.</summary>
    Increment,
}

/// <summary>A list of prompts, one per line, read from a pasted text or a <c>.txt</c> file.</summary>
public sealed record BatchPromptList(IReadOnlyList<string> Prompts, IReadOnlyList<string> Errors);

/// <summary>
/// Batch prompts: one prompt per line; blank lines and lines starting with <c>#</c> are skipped. Each prompt becomes
/// its own job (or <see cref="GenerationRequest.BatchCount"/> jobs) with the form's other settings.
/// </summary>
public static class BatchPrompts
{
    public const int MaxPrompts = 200;
    public const int MaxFileBytes = 256 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static BatchPromptList Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prompts = new List<string>();
        var errors = new List<string>();
        var lines = text.TrimStart('\uFEFF').Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            if (line.Length > GenerationRequest.MaxPromptLength)
            {
                errors.Add($"Line {i + 1} is {line.Length:N0} characters; a prompt can have {GenerationRequest.MaxPromptLength:N0}.");
                continue;
            }
            prompts.Add(line);
        }
        if (prompts.Count > MaxPrompts)
        {
            errors.Add($"The list has {prompts.Count} prompts; at most {MaxPrompts} can be queued at once.");
        }
        return new BatchPromptList(prompts, errors);
    }

    /// <summary>Reads an uploaded file's bytes (at most <see cref="MaxFileBytes"/>) as UTF-8 text.</summary>
    public static BatchPromptList Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxFileBytes)
        {
            return new BatchPromptList([], [$"The file is over {MaxFileBytes / 1024} KB; a prompt list can be at most {MaxFileBytes / 1024} KB."]);
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return new BatchPromptList([], ["The file is not UTF-8 text: save the prompt list as a plain .txt file."]);
        }
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return new BatchPromptList([], ["The file is not a text file: save the prompt list as a plain .txt file."]);
        }
        var list = Parse(text);
        return list.Prompts.Count == 0 && list.Errors.Count == 0
            ? list with { Errors = ["The file has no prompts: write one prompt per line (lines starting with # are skipped)."] }
            : list;
    }

    /// <summary>
    /// The requests for a list: the form's request with each prompt, seeds as <paramref name="policy"/> says.
    /// With a batch count above one, the runs of one prompt step +1 from its seed as usual, and
    /// <see cref="BatchSeedPolicy.Increment"/> continues after them, so every job has its own seed.
    /// </summary>
    public static IReadOnlyList<GenerationRequest> Expand(GenerationRequest template, IReadOnlyList<string> prompts, BatchSeedPolicy policy, ulong? seed)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(prompts);
        if (policy != BatchSeedPolicy.Random && seed is null)
        {
            throw new ArgumentException("A fixed or incrementing seed needs a value.", nameof(seed));
        }
        return prompts.Select((prompt, i) => template with
        {
            Prompt = prompt,
            SeedMode = policy == BatchSeedPolicy.Random ? SeedMode.Random : SeedMode.Fixed,
            Seed = policy switch
            {
                BatchSeedPolicy.Fixed => seed,
                BatchSeedPolicy.Increment => unchecked(seed!.Value + ((ulong)i * (ulong)Math.Max(1, template.BatchCount))),
                _ => null,
            },
        }).ToList();
    }
}
