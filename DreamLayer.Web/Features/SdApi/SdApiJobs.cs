using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.A1111Api;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Metadata;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Features.SdApi;

/// <summary>
/// The work behind <c>txt2img</c>, <c>img2img</c> and <c>extra-single-image</c>: the pictures a body carries are
/// decoded, checked and stored as uploads of the person (as the pages store theirs), the request goes into the one
/// queue through <see cref="JobQueue.SubmitAsync"/> (its validator, caps, fairness, gallery entry and metadata), and
/// the answer waits for every job of it to end. A client that goes away cancels its jobs.
/// </summary>
internal sealed class SdApiJobs(
    BackendPool pool,
    ModelSettings settings,
    PersonalPreferences preferences,
    JobQueue queue,
    JobEvents events,
    JobHistory history,
    UploadStore uploads,
    UploadAccess uploadAccess,
    GalleryService gallery,
    ImageStore images)
{
    /// <summary>The lists the person may pick from (hidden models absent for members), or null while no server is online.</summary>
    public GenerationLimits? LimitsFor(SignedInUser user) => ModelChoices.For(pool.Limits, settings, user.IsAdmin);

    public static IResult NoServer() =>
        SdApiResults.Error(new A1111ApiError(StatusCodes.Status503ServiceUnavailable, "No ComfyUI server is online; try again when one is."));

    public async Task<IResult> GenerateAsync(SignedInUser user, A1111GenerateRequest body, A1111Endpoint endpoint, CancellationToken ct)
    {
        if (LimitsFor(user) is not { } limits)
        {
            return NoServer();
        }
        var checkpoint = (await preferences.GetAsync(user.Id, ct)).DefaultCheckpoint;
        var (mapping, error) = A1111RequestMapper.Map(body, endpoint, limits, checkpoint);
        if (error is not null)
        {
            return SdApiResults.Error(error);
        }
        var (request, refusal) = await WithImagesAsync(mapping!, user, ct);
        if (refusal is not null)
        {
            return SdApiResults.Error(refusal);
        }
        var (jobs, failure) = await RunAsync(request!, user, ct);
        if (failure is not null)
        {
            return failure;
        }
        var pictures = mapping!.SendImages ? await ImagesOfAsync(jobs!, user, ct) : [];
        return Results.Json(new SdApiGenerated(
            [.. pictures.Select(p => p.Bytes)],
            Understood(body, request!, jobs!),
            Info(request!, jobs!, pictures, mapping.Ignored)));
    }

    /// <summary>Upscales one picture through the queue as the Extras page does (<see cref="GenerationMode.Upscale"/>).</summary>
    public async Task<IResult> UpscaleAsync(SignedInUser user, SdApiExtrasRequest body, CancellationToken ct)
    {
        if (LimitsFor(user) is not { } limits)
        {
            return NoServer();
        }
        if (body.Image is not { Length: > 0 } image)
        {
            return SdApiResults.Error(A1111ApiError.NotFound("Image not found"));
        }
        var ignored = new List<string>();
        var name = body.Upscaler1 is { Length: > 0 } asked ? asked.Trim() : "None";
        var request = new GenerationRequest { Mode = GenerationMode.Upscale, ResizeFilter = "lanczos" };
        if (name is "None" or "Lanczos")
        {
            request = request with { UpscaleMethod = UpscaleMethod.Resize };
        }
        else if (name == "Nearest")
        {
            request = request with { UpscaleMethod = UpscaleMethod.Resize, ResizeFilter = "nearest-exact" };
        }
        else if (A1111RequestMapper.Find(name, limits.UpscaleModels) is { } model)
        {
            request = request with { UpscaleMethod = UpscaleMethod.Model, UpscaleModel = model };
        }
        else
        {
            return SdApiResults.Error(A1111ApiError.Unprocessable($"could not find upscaler named {name}"));
        }
        if (body.ResizeMode == 1)
        {
            request = request with { Scale = null, Width = body.UpscalingResizeW ?? 512, Height = body.UpscalingResizeH ?? 512 };
        }
        else if (body.ResizeMode is null or 0)
        {
            request = request with { Scale = body.UpscalingResize ?? 2 };
        }
        else
        {
            return SdApiResults.Error(A1111ApiError.Unprocessable("resize_mode: 0 (scale by upscaling_resize) or 1 (scale to upscaling_resize_w × upscaling_resize_h)"));
        }
        if (body.Upscaler2 is { Length: > 0 } second && second != "None" && body.Upscaler2Visibility is > 0)
        {
            ignored.Add("upscaler_2");
        }
        if (body.GfpganVisibility is > 0)
        {
            ignored.Add("gfpgan_visibility");
        }
        if (body.CodeformerVisibility is > 0)
        {
            ignored.Add("codeformer_visibility");
        }
        var (source, refusal) = await StoreAsync("image", image, ImagePurpose.Upscale, user, ct);
        if (refusal is not null)
        {
            return SdApiResults.Error(refusal);
        }
        var (jobs, failure) = await RunAsync(request with { SourceImage = source!.Id }, user, ct);
        if (failure is not null)
        {
            return failure;
        }
        var pictures = await ImagesOfAsync(jobs!, user, ct);
        if (pictures.Count == 0)
        {
            return SdApiResults.Error(new A1111ApiError(StatusCodes.Status409Conflict, "The upscale was cancelled before it made a picture."));
        }
        var note = ignored.Count == 0 ? string.Empty : $"<p>Not applied: {string.Join(", ", ignored)}.</p>";
        return Results.Json(new SdApiExtrasResult(pictures[0].Bytes, note));
    }

    /// <summary>The request with its pictures stored as the person's uploads, or A1111's refusal naming the field.</summary>
    private async Task<(GenerationRequest? Request, A1111ApiError? Refusal)> WithImagesAsync(A1111Mapping mapping, SignedInUser user, CancellationToken ct)
    {
        var request = mapping.Request;
        UploadAccepted? source = null;
        if (mapping.InitImage is { } init)
        {
            (source, var refusal) = await StoreAsync("init_images[0]", init, ImagePurpose.Source, user, ct);
            if (refusal is not null)
            {
                return (null, refusal);
            }
            request = request with { SourceImage = source!.Id, SourceWidth = source.Width, SourceHeight = source.Height };
            if (mapping.Mask is { } mask)
            {
                var (stored, maskRefusal) = await StoreMaskAsync(mask, mapping.InvertMask, source, user, ct);
                if (maskRefusal is not null)
                {
                    return (null, maskRefusal);
                }
                request = request with { Mask = stored };
            }
        }
        if (mapping.ControlNets is { Count: > 0 } units)
        {
            var nets = new List<ControlNetSetting>(units.Count);
            for (var i = 0; i < units.Count; i++)
            {
                if (units[i].Image is not { } picture)
                {
                    nets.Add(units[i].Setting with { Image = source?.Id });
                    continue;
                }
                var (stored, refusal) = await StoreAsync($"alwayson_scripts.controlnet.args[{i}].image", picture, ImagePurpose.Source, user, ct);
                if (refusal is not null)
                {
                    return (null, refusal);
                }
                nets.Add(units[i].Setting with { Image = stored!.Id });
            }
            request = request with { ControlNets = nets };
        }
        return (request, null);
    }

    /// <summary>A base64 picture (or a <c>data:</c> URL) checked and stored as an upload of <paramref name="user"/>, exactly as a page stores a chosen file.</summary>
    private async Task<(UploadAccepted? Upload, A1111ApiError? Refusal)> StoreAsync(string field, string encoded, ImagePurpose purpose, SignedInUser user, CancellationToken ct)
    {
        if (Decode(encoded) is not { } bytes)
        {
            return (null, NotBase64(field));
        }
        using var stream = new MemoryStream(bytes, writable: false);
        var (upload, refusal) = await SaveAsync(stream, field, purpose, user, ct);
        return (upload, refusal is null ? null : A1111ApiError.Unprocessable($"{field}: {refusal}"));
    }

    /// <summary>
    /// A1111's mask (white is repainted, grey read as A1111 reads its latent mask: from half-way up) as the pages store
    /// theirs: painted pixels opaque, the rest transparent, at the source's size; <paramref name="invert"/> repaints the black part.
    /// </summary>
    private async Task<(InpaintMask? Mask, A1111ApiError? Refusal)> StoreMaskAsync(string encoded, bool invert, UploadAccepted source, SignedInUser user, CancellationToken ct)
    {
        const string Field = "mask";
        if (Decode(encoded) is not { } bytes)
        {
            return (null, NotBase64(Field));
        }
        using var png = new MemoryStream();
        using (var input = new MemoryStream(bytes, writable: false))
        {
            var (decoded, refusal) = await uploads.DecodeAsync(input, ImagePurpose.Source, bytes.LongLength, ct);
            if (decoded is null)
            {
                return (null, A1111ApiError.Unprocessable($"{Field}: {refusal}"));
            }
            using (decoded)
            using (var painted = decoded.Image.CloneAs<Rgba32>())
            {
                if (painted.Width != source.Width || painted.Height != source.Height)
                {
                    UploadStore.Fit(painted, source.Width, source.Height, Domain.Generation.ResizeMode.JustResize);
                }
                painted.ProcessPixelRows(rows =>
                {
                    for (var y = 0; y < rows.Height; y++)
                    {
                        foreach (ref var p in rows.GetRowSpan(y))
                        {
                            var white = (299 * p.R + 587 * p.G + 114 * p.B) / 1000 >= 128;
                            p = white != invert ? new Rgba32(255, 255, 255, 255) : new Rgba32(0, 0, 0, 0);
                        }
                    }
                });
                await painted.SaveAsPngAsync(png, ct);
            }
        }
        png.Position = 0;
        var (stored, storeRefusal) = await SaveAsync(png, "mask.png", ImagePurpose.Source, user, ct);
        if (stored is null)
        {
            return (null, A1111ApiError.Unprocessable($"{Field}: {storeRefusal}"));
        }
        var bounds = await uploads.PaintedBoundsAsync(stored.Id, ct) ?? default;
        return (new InpaintMask(stored.Id, stored.Width, stored.Height, bounds), null);
    }

    /// <summary>Stores a picture as the pages store an upload, recorded as <paramref name="user"/>'s; or the upload's refusal in words.</summary>
    private async Task<(UploadAccepted? Upload, string? Refusal)> SaveAsync(Stream content, string name, ImagePurpose purpose, SignedInUser user, CancellationToken ct)
    {
        switch (await uploads.SaveAsync(content, name, purpose, ct))
        {
            case UploadAccepted accepted:
                uploadAccess.RecordOwner(accepted.Id, user);
                return (accepted, null);
            case UploadRejected rejected:
                return (null, rejected.Message);
            default:
                return (null, "the picture could not be stored.");
        }
    }

    internal static A1111ApiError NotBase64(string field) =>
        A1111ApiError.Unprocessable($"{field}: not base64 (send the picture's bytes in base64, or a data: URL).");

    /// <summary>The bytes of base64 text or a <c>data:…;base64,</c> URL; null when it is not base64.</summary>
    internal static byte[]? Decode(string encoded)
    {
        var text = encoded.AsSpan().Trim();
        if (text.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            var comma = text.IndexOf(',');
            if (comma < 0 || !text[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            text = text[(comma + 1)..];
        }
        var buffer = new byte[text.Length / 4 * 3 + 3];
        return Convert.TryFromBase64Chars(text, buffer, out var written) && written > 0 ? buffer[..written] : null;
    }

    /// <summary>
    /// Queues the request as the person and waits until each of its jobs has ended. The client going away
    /// (<paramref name="ct"/>) cancels them. A job that failed answers 502 with its reason; cancelled ones (interrupt,
    /// skip) answer with whatever pictures were made, as A1111 does.
    /// </summary>
    private async Task<(IReadOnlyList<JobProgress>? Jobs, IResult? Failure)> RunAsync(GenerationRequest request, SignedInUser user, CancellationToken ct)
    {
        var submitted = await queue.SubmitAsync(request, user.Id, ct);
        if (submitted is SubmitInvalid invalid)
        {
            return (null, SdApiResults.Error(A1111ApiError.Unprocessable(string.Join(" ", invalid.Errors.Select(e => $"{Field(e.Field)}: {e.Message}")))));
        }
        var accepted = (SubmitAccepted)submitted;
        try
        {
            await WaitForEndAsync(accepted.JobIds, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            foreach (var id in accepted.JobIds)
            {
                await queue.CancelAsync(id, user.Id, isAdmin: false, CancellationToken.None);
            }
            throw;
        }
        var jobs = new List<JobProgress>(accepted.JobIds.Count);
        foreach (var id in accepted.JobIds)
        {
            jobs.Add(events.TryGet(id, out var job) ? job : (await history.FindAsync(id, user.Id, isAdmin: false, CancellationToken.None))!);
        }
        if (jobs.FirstOrDefault(j => j.Status == JobStatus.Failed) is { } failed && jobs.All(j => j.Status != JobStatus.Succeeded))
        {
            return (null, SdApiResults.Error(new A1111ApiError(StatusCodes.Status502BadGateway, $"The job failed: {failed.Message ?? "the server gave no reason"}")));
        }
        return (jobs, null);
    }

    /// <summary>The A1111 field a validation error of DreamLayer's request is about, where the names differ.</summary>
    private static string Field(string field) => field switch
    {
        nameof(GenerationRequest.Cfg) => "cfg_scale",
        nameof(GenerationRequest.BatchCount) => "n_iter",
        nameof(GenerationRequest.BatchSize) => "batch_size",
        nameof(GenerationRequest.Checkpoint) => "sd_model_checkpoint",
        nameof(GenerationRequest.Denoise) => "denoising_strength",
        nameof(GenerationRequest.Sampler) => "sampler_name",
        _ => field.Length > 0 ? string.Concat(field.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : string.Empty) + char.ToLowerInvariant(c) : c.ToString())) : "request",
    };

    private async Task WaitForEndAsync(IReadOnlyList<Guid> ids, CancellationToken ct)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (ids.All(id => !events.TryGet(id, out var job) || job.Status.IsTerminal()))
            {
                ended.TrySetResult();
            }
        }
        var subscriptions = ids.Select(id => events.SubscribeJob(id, e =>
        {
            if (e is JobChanged { Job.Status: var status } && status.IsTerminal())
            {
                Check();
            }
        })).ToList();
        try
        {
            Check(); // a job that ended before the subscriptions were made
            await ended.Task.WaitAsync(ct);
        }
        finally
        {
            subscriptions.ForEach(s => s.Dispose());
        }
    }

    /// <summary>The stored files of the jobs' pictures, in order: PNGs with their A1111 <c>parameters</c> chunk.</summary>
    private async Task<List<(byte[] Bytes, string Infotext, ulong Seed)>> ImagesOfAsync(IReadOnlyList<JobProgress> jobs, SignedInUser user, CancellationToken ct)
    {
        var result = new List<(byte[], string, ulong)>();
        foreach (var job in jobs)
        {
            foreach (var image in await gallery.FindVisibleAsync(user, job.ImageIds, ct))
            {
                if (images.Locate(image) is not { } path || !File.Exists(path))
                {
                    continue;
                }
                var bytes = await File.ReadAllBytesAsync(path, ct);
                var infotext = PngTextChunks.Find(bytes, "parameters") ?? string.Empty;
                var seed = ulong.TryParse(A1111Infotext.Read(infotext)["Seed"], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : job.Seed;
                result.Add((bytes, infotext, seed));
            }
        }
        return result;
    }

    /// <summary>A1111's <c>parameters</c>: the body as sent with what DreamLayer made of it filled in.</summary>
    private static JsonObject Understood(A1111GenerateRequest body, GenerationRequest request, IReadOnlyList<JobProgress> jobs)
    {
        var seed = jobs.Count > 0 ? jobs[0].Seed : 0;
        var understood = JsonSerializer.SerializeToNode(body)!.AsObject();
        var (sampler, scheduler) = SamplerNames.ToA1111(request.Sampler, request.Scheduler);
        understood["prompt"] = request.Prompt;
        understood["negative_prompt"] = request.NegativePrompt;
        understood["seed"] = seed;
        understood["sampler_name"] = sampler;
        understood["scheduler"] = scheduler;
        understood["steps"] = request.Steps;
        understood["cfg_scale"] = request.Cfg;
        understood["width"] = request.Width;
        understood["height"] = request.Height;
        understood["batch_size"] = request.BatchSize;
        understood["n_iter"] = request.BatchCount;
        if (request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint)
        {
            understood["denoising_strength"] = request.Denoise;
        }
        var overrides = body.OverrideSettings?.DeepClone().AsObject() ?? [];
        overrides["sd_model_checkpoint"] = request.Checkpoint;
        understood["override_settings"] = overrides;
        if (body.IncludeInitImages != true)
        {
            // As A1111: the pictures sent are not sent back unless asked for.
            understood["init_images"] = null;
            understood["mask"] = null;
        }
        return understood;
    }

    /// <summary>A1111's <c>info</c>: <c>Processed.js()</c>, a JSON text, with the seeds and infotexts of the pictures made.</summary>
    private static string Info(GenerationRequest request, IReadOnlyList<JobProgress> jobs, List<(byte[] Bytes, string Infotext, ulong Seed)> pictures, IReadOnlyList<string> ignored)
    {
        var (sampler, scheduler) = SamplerNames.ToA1111(request.Sampler, request.Scheduler);
        var seeds = pictures.Count > 0 ? pictures.Select(p => p.Seed).ToList() : [.. jobs.Select(j => j.Seed)];
        var first = pictures.Count > 0 ? A1111Infotext.Read(pictures[0].Infotext) : null;
        var count = Math.Max(1, seeds.Count);
        var info = new JsonObject
        {
            ["prompt"] = request.Prompt,
            ["all_prompts"] = new JsonArray([.. Enumerable.Repeat(request.Prompt, count).Select(p => JsonValue.Create(p))]),
            ["negative_prompt"] = request.NegativePrompt,
            ["all_negative_prompts"] = new JsonArray([.. Enumerable.Repeat(request.NegativePrompt, count).Select(p => JsonValue.Create(p))]),
            ["seed"] = seeds.Count > 0 ? seeds[0] : 0,
            ["all_seeds"] = new JsonArray([.. seeds.Select(s => JsonValue.Create(s))]),
            ["subseed"] = -1,
            ["all_subseeds"] = new JsonArray([.. seeds.Select(_ => JsonValue.Create(-1))]),
            ["subseed_strength"] = 0,
            ["width"] = request.Width,
            ["height"] = request.Height,
            ["sampler_name"] = sampler,
            ["scheduler"] = scheduler,
            ["cfg_scale"] = request.Cfg,
            ["steps"] = request.Steps,
            ["batch_size"] = request.BatchSize,
            ["restore_faces"] = false,
            ["face_restoration_model"] = null,
            ["sd_model_name"] = A1111Infotext.ModelName(request.Checkpoint),
            ["sd_model_hash"] = first?["Model hash"],
            ["sd_vae_name"] = request.Vae,
            ["seed_resize_from_w"] = -1,
            ["seed_resize_from_h"] = -1,
            ["denoising_strength"] = request.Mode is GenerationMode.Img2Img or GenerationMode.Inpaint ? request.Denoise : request.HiresFix?.Denoise,
            ["extra_generation_params"] = new JsonObject(),
            ["index_of_first_image"] = 0,
            ["infotexts"] = new JsonArray([.. pictures.Select(p => JsonValue.Create(p.Infotext))]),
            ["styles"] = new JsonArray(),
            ["job_timestamp"] = jobs.Count > 0 ? jobs[0].CreatedAt.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) : string.Empty,
            ["clip_skip"] = request.ClipSkip,
            ["is_using_inpainting_conditioning"] = false,
            ["version"] = A1111Infotext.DreamLayerVersion,
            // DreamLayer's own: the jobs in its queue and gallery, and what it accepted but could not honour.
            ["job_ids"] = new JsonArray([.. jobs.Select(j => JsonValue.Create(j.JobId))]),
            ["ignored"] = new JsonArray([.. ignored.Select(i => JsonValue.Create(i))]),
        };
        return info.ToJsonString();
    }
}
