using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.A1111Api;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using Microsoft.AspNetCore.Mvc;

namespace DreamLayer.Web.Features.SdApi;

/// <summary>
/// The routes of <c>/sdapi/v1</c> in AUTOMATIC1111's request and response shapes (<c>modules/api/api.py</c>,
/// <c>models.py</c>). Each acts as the token's owner with exactly their rights: the lists are the person's (hidden
/// models absent for members), progress, interrupt and skip are about the person's own jobs only, and the checkpoint
/// option is the person's own.
/// </summary>
internal static class SdApiEndpoints
{
    /// <summary>A1111's upscalers that are resampling filters rather than models, with the filter each means.</summary>
    private static readonly (string Name, string Filter)[] Resamplers = [("None", "lanczos"), ("Lanczos", "lanczos"), ("Nearest", "nearest-exact")];

    public static void Map(RouteGroupBuilder api, long maxRequestBytes)
    {
        api.MapPost("/txt2img", (HttpContext http, SignedInUser user, SdApiJobs jobs) => GenerateAsync(http, user, jobs, A1111Endpoint.Txt2Img, maxRequestBytes));
        api.MapPost("/img2img", (HttpContext http, SignedInUser user, SdApiJobs jobs) => GenerateAsync(http, user, jobs, A1111Endpoint.Img2Img, maxRequestBytes));
        api.MapPost("/extra-single-image", async (HttpContext http, SignedInUser user, SdApiJobs jobs) =>
        {
            var (body, refusal) = await SdApiResults.ReadAsync<SdApiExtrasRequest>(http, maxRequestBytes);
            return refusal ?? await jobs.UpscaleAsync(user, body!, http.RequestAborted);
        });
        api.MapPost("/png-info", (HttpContext http, UploadStore uploads) => PngInfoAsync(http, uploads, maxRequestBytes));
        api.MapGet("/progress", Progress);
        api.MapPost("/interrupt", InterruptAsync);
        api.MapPost("/skip", SkipAsync);
        api.MapGet("/options", OptionsAsync);
        api.MapPost("/options", SetOptionsAsync);
        api.MapGet("/sd-models", SdModels);
        api.MapGet("/samplers", (SignedInUser user, SdApiJobs jobs) => Results.Json(
            (jobs.LimitsFor(user)?.Samplers ?? []).Select(s => new SdApiSampler(SamplerNames.SamplerToA1111(s), [s], new Dictionary<string, string>()))));
        api.MapGet("/schedulers", (SignedInUser user, SdApiJobs jobs) => Results.Json(
            new[] { new SdApiScheduler("automatic", "Automatic", null, null, null) }
                .Concat((jobs.LimitsFor(user)?.Schedulers ?? []).Select(s => new SdApiScheduler(s, SamplerNames.SchedulerToA1111(s), null, null, null)))));
        api.MapGet("/loras", (SignedInUser user, SdApiJobs jobs) => Results.Json(
            (jobs.LimitsFor(user)?.Advanced.Loras ?? []).Select(l => new SdApiLora(Stem(l), Stem(l), l, new Dictionary<string, string>()))));
        api.MapGet("/upscalers", (SignedInUser user, SdApiJobs jobs) => Results.Json(
            Resamplers.Select(r => new SdApiUpscaler(r.Name, null, null, null, 4))
                .Concat((jobs.LimitsFor(user)?.UpscaleModels ?? []).Select(m => new SdApiUpscaler(Stem(m), Stem(m), m, null, null)))));
    }

    private static async Task<IResult> GenerateAsync(HttpContext http, SignedInUser user, SdApiJobs jobs, A1111Endpoint endpoint, long maxRequestBytes)
    {
        var (body, refusal) = await SdApiResults.ReadAsync<A1111GenerateRequest>(http, maxRequestBytes);
        return refusal ?? await jobs.GenerateAsync(user, body!, endpoint, http.RequestAborted);
    }

    /// <summary>A file name without its folder and extension, as A1111 names LoRAs and upscalers.</summary>
    private static string Stem(string file) => Path.GetFileNameWithoutExtension(file.Replace('\\', '/').Split('/')[^1]);

    /// <summary>The person's own job that is running now, else their oldest waiting one; null when they have none.</summary>
    private static JobProgress? CurrentJob(JobEvents events, SignedInUser user)
    {
        var mine = events.Active().Where(j => string.Equals(j.Owner, user.Id, StringComparison.Ordinal)).ToList();
        return mine.FirstOrDefault(j => j.Status == JobStatus.Running) ?? mine.FirstOrDefault();
    }

    private static IResult Progress(SignedInUser user, JobEvents events, JobQueue queue, TimeProvider time, [FromQuery(Name = "skip_current_image")] bool? skipCurrentImage)
    {
        var count = events.Active().Count(j => string.Equals(j.Owner, user.Id, StringComparison.Ordinal));
        if (CurrentJob(events, user) is not { } job)
        {
            return Results.Json(new SdApiProgress(0, 0, new SdApiState(false, false, false, string.Empty, 0, "0", 0, 0, 0), null, null, null));
        }
        var running = job.Status == JobStatus.Running && job.StepMax > 0;
        var progress = running ? Math.Clamp((double)job.StepValue / job.StepMax, 0, 1) : 0;
        var elapsed = Math.Max(0, (time.GetUtcNow().UtcDateTime - job.CreatedAt).TotalSeconds);
        var eta = progress > 0 ? elapsed / progress - elapsed : 0;
        string? image = null;
        if (skipCurrentImage != true && events.TryGetPreview(job.JobId, out var frame))
        {
            image = Convert.ToBase64String(frame.Image.Span);
        }
        var text = job.Status switch
        {
            JobStatus.Running when running => $"Step {job.StepValue}/{job.StepMax}",
            JobStatus.Running => "Running" + (job.Node is { } node ? $" ({node})" : string.Empty),
            _ when queue.Positions().TryGetValue(job.JobId, out var place) => place == 0 ? "Next in the queue" : $"Waiting: {Words.Count(place, "job")} ahead",
            _ => "Waiting in the queue",
        };
        var state = new SdApiState(false, false, false, job.JobId.ToString(), count,
            job.CreatedAt.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture), 0, running ? job.StepValue : 0, running ? job.StepMax : 0);
        return Results.Json(new SdApiProgress(progress, eta, state, image, text, job.JobId.ToString()));
    }

    /// <summary>Stops the person's current job and the rest of its batch, as A1111's interrupt stops the whole request.</summary>
    private static async Task<IResult> InterruptAsync(SignedInUser user, JobEvents events, JobQueue queue, CancellationToken ct)
    {
        if (CurrentJob(events, user) is { } job)
        {
            await queue.CancelBatchAsync(job.BatchId, user.Id, isAdmin: false, ct);
        }
        return Results.Json(new JsonObject());
    }

    /// <summary>Stops the person's running job only; the batch's next runs go on, as A1111's skip moves to the next picture.</summary>
    private static async Task<IResult> SkipAsync(SignedInUser user, JobEvents events, JobQueue queue, CancellationToken ct)
    {
        if (CurrentJob(events, user) is { Status: JobStatus.Running } job)
        {
            await queue.CancelAsync(job.JobId, user.Id, isAdmin: false, ct);
        }
        return Results.Content("null", "application/json");
    }

    /// <summary>A1111's title of a checkpoint: its file as the servers list it, with the short hash once the file is hashed.</summary>
    private static (string Title, string? Sha256) Title(string checkpoint, BackendPool pool, JobModelHashes hashes)
    {
        var sha = pool.ServersWith(checkpoint, l => l.Checkpoints).Select(s => hashes.For(s).CheckpointSha256(checkpoint)).FirstOrDefault(h => h is not null);
        return (sha is null ? checkpoint : $"{checkpoint} [{sha[..10]}]", sha);
    }

    private static IResult SdModels(SignedInUser user, SdApiJobs jobs, BackendPool pool, JobModelHashes hashes) => Results.Json(
        (jobs.LimitsFor(user)?.Checkpoints ?? []).Select(c =>
        {
            var (title, sha) = Title(c, pool, hashes);
            return new SdApiModel(title, Path.ChangeExtension(c.Replace('/', '_').Replace('\\', '_'), null), sha?[..10], sha, c, null);
        }));

    /// <summary>The person's checkpoint: the one they set (their default checkpoint), if they may still pick it, else the servers' first.</summary>
    private static async Task<string?> CheckpointAsync(SignedInUser user, SdApiJobs jobs, PersonalPreferences preferences, CancellationToken ct)
    {
        var checkpoints = jobs.LimitsFor(user)?.Checkpoints ?? [];
        var chosen = (await preferences.GetAsync(user.Id, ct)).DefaultCheckpoint;
        return (chosen is { Length: > 0 } ? A1111RequestMapper.Find(chosen, checkpoints) : null) ?? (checkpoints.Count > 0 ? checkpoints[0] : null);
    }

    private static async Task<IResult> OptionsAsync(SignedInUser user, SdApiJobs jobs, PersonalPreferences preferences, BackendPool pool, JobModelHashes hashes, CancellationToken ct)
    {
        var checkpoint = await CheckpointAsync(user, jobs, preferences, ct);
        var (title, sha) = checkpoint is null ? (string.Empty, null) : Title(checkpoint, pool, hashes);
        return Results.Json(new JsonObject
        {
            ["sd_model_checkpoint"] = title,
            ["sd_checkpoint_hash"] = sha,
            ["sd_vae"] = "Automatic",
            ["CLIP_stop_at_last_layers"] = 1,
            ["samples_format"] = "png",
            ["samples_save"] = true,
            ["grid_save"] = false,
            ["enable_pnginfo"] = true,
        });
    }

    /// <summary>
    /// Sets the person's <c>sd_model_checkpoint</c> (stored as their default checkpoint, which the pages start with too).
    /// Other options are the team's or the servers' in DreamLayer and are not changed by a client.
    /// </summary>
    private static async Task<IResult> SetOptionsAsync(HttpContext http, SignedInUser user, SdApiJobs jobs, PersonalPreferences preferences)
    {
        var (body, refusal) = await SdApiResults.ReadAsync<JsonObject>(http, 64 * 1024);
        if (refusal is not null)
        {
            return refusal;
        }
        if (body!["sd_model_checkpoint"] is not { } asked)
        {
            return Results.Content("null", "application/json");
        }
        if (asked.GetValueKind() != JsonValueKind.String || asked.GetValue<string>() is not { Length: > 0 } name)
        {
            return SdApiResults.Error(A1111ApiError.Unprocessable("sd_model_checkpoint: a checkpoint's title, file or name, as GET /sdapi/v1/sd-models lists them"));
        }
        if (A1111RequestMapper.Find(name, jobs.LimitsFor(user)?.Checkpoints ?? []) is not { } found)
        {
            return SdApiResults.Error(A1111ApiError.NotFound($"model '{name}' not found"));
        }
        var ct = http.RequestAborted;
        var stored = await preferences.GetAsync(user.Id, ct);
        if (await preferences.SaveAsync(user.Id, stored with { DefaultCheckpoint = found }, ct) is { } problem)
        {
            return SdApiResults.Error(A1111ApiError.Unprocessable(problem));
        }
        return Results.Content("null", "application/json");
    }

    /// <summary>
    /// The parameters of a picture: its infotext (the <c>parameters</c> text chunk, or a JPEG's or WebP's EXIF comment),
    /// its other text chunks, and the infotext's fields as A1111 names them. The picture is checked as PNG Info checks an upload.
    /// </summary>
    private static async Task<IResult> PngInfoAsync(HttpContext http, UploadStore uploads, long maxRequestBytes)
    {
        var (body, refusal) = await SdApiResults.ReadAsync<SdApiImageRequest>(http, maxRequestBytes);
        if (refusal is not null)
        {
            return refusal;
        }
        if (body!.Image is not { Length: > 0 } encoded)
        {
            return SdApiResults.Error(A1111ApiError.NotFound("Image not found"));
        }
        if (SdApiJobs.Decode(encoded) is not { } bytes)
        {
            return SdApiResults.Error(SdApiJobs.NotBase64("image"));
        }
        using var stream = new MemoryStream(bytes, writable: false);
        var checkedImage = await uploads.CheckAsync(stream, http.RequestAborted);
        if (checkedImage is not UploadInspected inspected)
        {
            return SdApiResults.Error(A1111ApiError.Unprocessable($"image: {(checkedImage as UploadRejected)?.Message ?? "not a picture"}"));
        }
        var metadata = ImageMetadataReader.Read(inspected.Bytes);
        var info = metadata.Texts.FirstOrDefault(t => t.Key == "parameters")?.Text
            ?? metadata.Texts.FirstOrDefault(t => t.Key == "UserComment")?.Text
            ?? string.Empty;
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var text in metadata.Texts.Where(t => t.Key is not "parameters"))
        {
            items.TryAdd(text.Key, text.Text);
        }
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (info.Length > 0)
        {
            var infotext = A1111Infotext.Read(info);
            parameters["Prompt"] = infotext.Prompt;
            parameters["Negative prompt"] = infotext.NegativePrompt;
            foreach (var (key, value) in infotext.Parameters)
            {
                parameters[key] = value;
            }
            if (A1111Infotext.TryParseSize(infotext["Size"], out var width, out var height))
            {
                parameters["Size-1"] = width.ToString(CultureInfo.InvariantCulture);
                parameters["Size-2"] = height.ToString(CultureInfo.InvariantCulture);
            }
        }
        return Results.Json(new SdApiPngInfo(info, items, parameters));
    }
}
