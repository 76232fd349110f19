using System.Globalization;

namespace DreamLayer.Domain.Generation;

/// <summary>A problem with one field of a request, worded for the person who filled the form.</summary>
public sealed record FieldError(string Field, string Message);

/// <summary>Checks a request against the app's own rules and, when known, the chosen server's limits.</summary>
public static partial class GenerationRequestValidator
{
    public static IReadOnlyList<FieldError> Validate(GenerationRequest request, GenerationLimits? limits)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<FieldError>();
        void Add(string field, string message) => errors.Add(new FieldError(field, message));
        static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        if (request.Mode == GenerationMode.Workflow)
        {
            ValidateWorkflow(request, Add);
            return errors;
        }
        if (request.Mode == GenerationMode.Upscale)
        {
            ValidateUpscale(request, limits, Add);
            return errors;
        }
        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            Add(nameof(request.Prompt), "Write a prompt describing the image.");
        }
        if (request.Prompt.Length > GenerationRequest.MaxPromptLength)
        {
            Add(nameof(request.Prompt), $"The prompt is {request.Prompt.Length:N0} characters; the limit is {GenerationRequest.MaxPromptLength:N0}.");
        }
        if (request.NegativePrompt.Length > GenerationRequest.MaxPromptLength)
        {
            Add(nameof(request.NegativePrompt), $"The negative prompt is {request.NegativePrompt.Length:N0} characters; the limit is {GenerationRequest.MaxPromptLength:N0}.");
        }
        if (string.IsNullOrEmpty(request.Checkpoint))
        {
            Add(nameof(request.Checkpoint), "Pick a checkpoint.");
        }
        if (string.IsNullOrEmpty(request.Sampler))
        {
            Add(nameof(request.Sampler), "Pick a sampler.");
        }
        if (string.IsNullOrEmpty(request.Scheduler))
        {
            Add(nameof(request.Scheduler), "Pick a scheduler.");
        }
        if (request.SeedMode == SeedMode.Fixed && request.Seed is null)
        {
            Add(nameof(request.Seed), "Enter a seed, or choose a random one.");
        }
        if (request.BatchCount is < 1 or > GenerationRequest.MaxBatchCount)
        {
            Add(nameof(request.BatchCount), $"Batch count must be between 1 and {GenerationRequest.MaxBatchCount}.");
        }
        if (double.IsNaN(request.Cfg) || double.IsInfinity(request.Cfg))
        {
            Add(nameof(request.Cfg), "CFG scale must be a number.");
        }

        var l = limits ?? new GenerationLimits();
        if (request.Steps < l.MinSteps || request.Steps > l.MaxSteps)
        {
            Add(nameof(request.Steps), $"Steps must be between {l.MinSteps} and {l.MaxSteps}.");
        }
        if (request.Cfg < l.MinCfg || request.Cfg > l.MaxCfg)
        {
            Add(nameof(request.Cfg), $"CFG scale must be between {N(l.MinCfg)} and {N(l.MaxCfg)}.");
        }
        CheckSize(nameof(request.Width), "Width", request.Width, l, Add);
        CheckSize(nameof(request.Height), "Height", request.Height, l, Add);
        if (request.BatchSize < 1 || request.BatchSize > l.MaxBatchSize)
        {
            Add(nameof(request.BatchSize), $"Batch size must be between 1 and {l.MaxBatchSize}.");
        }
        AdvancedValidator.Validate(request, limits, Add);
        if (limits is not null)
        {
            CheckListed(nameof(request.Checkpoint), "checkpoint", request.Checkpoint, limits.Checkpoints, Add);
            CheckListed(nameof(request.Sampler), "sampler", request.Sampler, limits.Samplers, Add);
            CheckListed(nameof(request.Scheduler), "scheduler", request.Scheduler, limits.Schedulers, Add);
        }
        if (request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint)
        {
            ValidateImageInputs(request, Add);
        }
        return errors;
    }

    private static void ValidateWorkflow(GenerationRequest request, Action<string, string> add)
    {
        if (request.Workflow is null)
        {
            add(nameof(request.Workflow), "Choose a saved workflow to run.");
        }
        if (request.SeedMode == SeedMode.Fixed && request.Seed is null)
        {
            add(nameof(request.Seed), "Enter a seed, or choose a random one.");
        }
        if (request.BatchCount is < 1 or > GenerationRequest.MaxBatchCount)
        {
            add(nameof(request.BatchCount), $"Batch count must be between 1 and {GenerationRequest.MaxBatchCount}.");
        }
        if (request.Prompt.Length > GenerationRequest.MaxPromptLength || request.NegativePrompt.Length > GenerationRequest.MaxPromptLength)
        {
            add(nameof(request.Prompt), $"A prompt is longer than {GenerationRequest.MaxPromptLength:N0} characters.");
        }
    }

    private static void ValidateUpscale(GenerationRequest request, GenerationLimits? limits, Action<string, string> add)
    {
        static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        var l = limits ?? new GenerationLimits();
        if (request.SourceImage is null)
        {
            add(nameof(request.SourceImage), "Choose an image to upscale.");
        }
        if (request.Scale is { } scale)
        {
            if (double.IsNaN(scale) || scale < l.MinUpscale || scale > l.MaxUpscale)
            {
                add(nameof(request.Scale), $"Scale factor must be between {N(l.MinUpscale)} and {N(l.MaxUpscale)}.");
            }
        }
        else
        {
            if (request.Width < 1 || request.Width > l.MaxUpscaleSize)
            {
                add(nameof(request.Width), $"Width must be between 1 and {l.MaxUpscaleSize} pixels.");
            }
            if (request.Height < 1 || request.Height > l.MaxUpscaleSize)
            {
                add(nameof(request.Height), $"Height must be between 1 and {l.MaxUpscaleSize} pixels.");
            }
        }
        if (string.IsNullOrEmpty(request.ResizeFilter))
        {
            add(nameof(request.ResizeFilter), "Pick a resize filter.");
        }
        if (request.UpscaleMethod == UpscaleMethod.Model && string.IsNullOrEmpty(request.UpscaleModel))
        {
            add(nameof(request.UpscaleModel), "Pick an upscale model.");
        }
        if (limits is not null)
        {
            CheckListed(nameof(request.ResizeFilter), "resize filter", request.ResizeFilter, limits.ResizeFilters, add);
            if (request.UpscaleMethod == UpscaleMethod.Model && limits.UpscaleModels.Count == 0)
            {
                add(nameof(request.UpscaleModel), UpscaleText.NoModels);
            }
            else if (request.UpscaleMethod == UpscaleMethod.Model)
            {
                CheckListed(nameof(request.UpscaleModel), "upscale model", request.UpscaleModel, limits.UpscaleModels, add);
            }
        }
    }

    private static void CheckSize(string field, string label, int value, GenerationLimits l, Action<string, string> add)
    {
        if (value < l.MinSize || value > l.MaxSize)
        {
            add(field, $"{label} must be between {l.MinSize} and {l.MaxSize} pixels.");
        }
        else if (value % l.SizeStep != 0)
        {
            add(field, $"{label} must be a multiple of {l.SizeStep} (for example {value / l.SizeStep * l.SizeStep} or {(value / l.SizeStep + 1) * l.SizeStep}).");
        }
    }

    private static void CheckListed(string field, string what, string value, IReadOnlyList<string> allowed, Action<string, string> add)
    {
        if (!string.IsNullOrEmpty(value) && allowed.Count > 0 && !allowed.Contains(value, StringComparer.Ordinal))
        {
            add(field, $"The server has no {what} named '{value}'.");
        }
    }
}
