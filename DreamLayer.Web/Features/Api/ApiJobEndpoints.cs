using System.Globalization;
using System.Text.Json;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Gallery;
using DreamLayer.Web.Images;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// Submitting work: <c>POST /api/v1/uploads</c> stores a picture (checked as the forms check one, owned by the person who
/// sent it) and <c>POST /api/v1/jobs</c> queues a job of any mode through <see cref="JobQueue.SubmitAsync"/>, the same
/// call and the same validator as the forms. Its refusals come back as problem details under the body's field names.
/// </summary>
internal static class ApiJobEndpoints
{
    /// <summary>What a multipart body may carry beside the picture itself (boundaries, headers).</summary>
    internal const long MultipartOverhead = 64 * 1024;

    internal static void Map(RouteGroupBuilder api, long maxImageBytes)
    {
        api.MapPost("/uploads", UploadAsync).WithName("Upload")
            .WithSummary("Stores a picture to generate from (img2img or inpaint source, mask, ControlNet picture, picture to upscale)")
            .WithDescription("multipart/form-data with one file field named \"file\". Checked as the pages check an upload: PNG, JPEG, WebP, " +
                $"GIF or BMP, at most {ApiProblems.Size(maxImageBytes)} (Storage:MaxImageBytes), at most Storage:MaxSourcePixels pixels " +
                "(Storage:MaxUpscaleSourcePixels with purpose=upscale). Answers its id, which only you (or an admin) may use in a job.")
            .WithFileBody("file")
            .WithMetadata(new RequestSizeLimitAttribute(maxImageBytes + MultipartOverhead))
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapPost("/jobs", SubmitAsync).WithName("SubmitJob")
            .WithSummary("Queues a job: txt2img, img2img, inpaint or upscale, with LoRAs, ControlNet and the Advanced settings")
            .WithDescription("The same checks as the forms. Pictures are upload ids from POST /api/v1/uploads. Answers 202 with the ids of " +
                "the jobs queued (one per run of batchCount) and their addresses; a refusal is 400 with each field and its reason.")
            .WithJsonBody<ApiJobRequest>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge);
    }

    private static async Task<Results<Created<ApiUpload>, ProblemHttpResult>> UploadAsync(HttpRequest request, string? purpose, SignedInUser user,
        UploadStore uploads, UploadAccess access, IOptions<StorageOptions> storage, CancellationToken ct)
    {
        var imagePurpose = purpose?.ToLowerInvariant() switch
        {
            null or "" or "source" => ImagePurpose.Source,
            "upscale" => ImagePurpose.Upscale,
            _ => (ImagePurpose?)null,
        };
        if (imagePurpose is null)
        {
            return ApiProblems.Invalid("purpose", "purpose is source (a picture to generate from, the default) or upscale.");
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !string.Equals(type.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(type.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return ApiProblems.Invalid("file", "Send the picture as multipart/form-data with one file field named \"file\".");
        }
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersCountLimit = 16, HeadersLengthLimit = 16 * 1024 };
            for (var sections = 0; sections < 8 && await reader.ReadNextSectionAsync(ct) is { } section; sections++)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !string.Equals(HeaderUtilities.RemoveQuotes(disposition.Name).Value, "file", StringComparison.Ordinal))
                {
                    continue; // another form field: skipped (read through, never kept)
                }
                var name = HeaderUtilities.RemoveQuotes(disposition.FileName).Value;
                switch (await uploads.SaveAsync(section.Body, name, imagePurpose.Value, ct))
                {
                    case UploadAccepted accepted:
                        access.RecordOwner(accepted.Id, user);
                        return TypedResults.Created((string?)null, new ApiUpload(accepted.Id, accepted.Width, accepted.Height, accepted.Bytes));
                    case UploadRejected { TooLarge: true } tooLarge:
                        return TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large", detail: tooLarge.Message,
                            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["file"] = [tooLarge.Message] } });
                    case UploadRejected rejected:
                        return ApiProblems.Invalid("file", rejected.Message);
                }
            }
            return ApiProblems.Invalid("file", "The body has no file field named \"file\".");
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiProblems.TooLarge(storage.Value.MaxImageBytes + MultipartOverhead);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            return ApiProblems.Invalid("file", $"The multipart body could not be read: {ex.Message}");
        }
    }

    private static async Task<Results<Accepted<ApiSubmitted>, ProblemHttpResult>> SubmitAsync(HttpRequest http, SignedInUser user, JobQueue queue,
        UploadStore uploads, UploadAccess access, IOptions<StorageOptions> storage, CancellationToken ct)
    {
        var (body, unreadable) = await ReadJsonAsync<ApiJobRequest>(http, ct);
        if (body is null)
        {
            return unreadable!;
        }
        if (body.Mode == GenerationMode.Workflow)
        {
            return ApiProblems.Invalid("mode", "Run an imported workflow with POST /api/v1/workflows/{id}/jobs.");
        }
        var uses = new ApiUploadChecks(user, uploads, access, storage.Value);
        var source = await uses.CheckAsync("sourceImage", body.SourceImage, body.Mode == GenerationMode.Upscale ? ImagePurpose.Upscale : ImagePurpose.Source, ct);
        var maskFacts = body.Mode == GenerationMode.Inpaint ? await uses.CheckAsync("mask", body.Mask, ImagePurpose.Source, ct) : null;
        for (var i = 0; i < body.ControlNets.Count; i++)
        {
            await uses.CheckAsync($"controlNets[{i}].image", body.ControlNets[i].Image, ImagePurpose.Source, ct);
        }
        if (uses.Errors.Count > 0)
        {
            return ApiProblems.Invalid(uses.Errors);
        }
        var mask = maskFacts is { } m
            ? new InpaintMask(m.Id, m.Width, m.Height, await uploads.PaintedBoundsAsync(m.Id, ct) ?? default)
            : null;
        return Accepted(await queue.SubmitAsync(body.ToRequest(source, mask), user.Id, ct));
    }

    /// <summary>The queue's answer: 202 with the jobs and their addresses, or its field errors as problem details.</summary>
    internal static Results<Accepted<ApiSubmitted>, ProblemHttpResult> Accepted(SubmitResult result) => result switch
    {
        SubmitAccepted accepted => TypedResults.Accepted($"{ApiExtensions.Prefix}/jobs/{accepted.JobIds[0]}", new ApiSubmitted(accepted.BatchId,
            [.. accepted.JobIds.Select((id, i) => new ApiSubmittedJob(id, accepted.Seeds[i].ToString(CultureInfo.InvariantCulture), $"{ApiExtensions.Prefix}/jobs/{id}"))])),
        SubmitInvalid invalid => ApiProblems.Invalid(invalid.Errors),
        _ => throw new InvalidOperationException($"Unexpected submit result {result.GetType().Name}."),
    };

    /// <summary>
    /// Reads a JSON body as <typeparamref name="T"/> (within the route's size limit), or says why not as problem details
    /// naming the field.
    /// </summary>
    internal static async Task<(T? Body, ProblemHttpResult? Problem)> ReadJsonAsync<T>(HttpRequest http, CancellationToken ct) where T : class
    {
        if (!http.HasJsonContentType())
        {
            return (null, TypedResults.Problem(statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type",
                detail: "Send the request as JSON (Content-Type: application/json)."));
        }
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(http.Body, ApiJobRequest.Json, ct) is { } body
                ? (body, null)
                : (null, ApiProblems.Invalid("body", "Send a JSON object."));
        }
        catch (JsonException ex)
        {
            return (null, ApiProblems.Unreadable(ex, typeof(T)));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, ApiProblems.TooLarge(ApiEndpoints.MaxRequestBytes));
        }
    }
}

/// <summary>
/// The uploads a job names: each must be stored, be the person's own (an admin may use any, as on the pages), and be
/// within the pixel limit of its use. What is wrong is gathered under the body's field names.
/// </summary>
internal sealed class ApiUploadChecks(SignedInUser user, UploadStore uploads, UploadAccess access, StorageOptions storage)
{
    public List<KeyValuePair<string, string>> Errors { get; } = [];

    public async Task<UploadFacts?> CheckAsync(string field, Guid? id, ImagePurpose purpose, CancellationToken ct)
    {
        if (id is not { } uploadId)
        {
            return null; // the validator says when one is needed
        }
        if ((!user.IsAdmin && !string.Equals(access.OwnerOf(uploadId), user.Id, StringComparison.Ordinal))
            || await uploads.FindAsync(uploadId, ct) is not { } stored)
        {
            Errors.Add(new(field, $"There is no upload {uploadId} of yours: send the picture to POST {ApiExtensions.Prefix}/uploads first and use the id it answers."));
            return null;
        }
        var limit = purpose == ImagePurpose.Upscale ? storage.MaxUpscaleSourcePixels : storage.MaxSourcePixels;
        if ((long)stored.Width * stored.Height > limit)
        {
            Errors.Add(new(field, string.Create(CultureInfo.InvariantCulture,
                $"The picture is {stored.Width}×{stored.Height} ({(long)stored.Width * stored.Height:N0} pixels); a picture to {(purpose == ImagePurpose.Upscale ? "upscale" : "generate from")} may have at most {limit:N0}.")));
            return null;
        }
        return new UploadFacts(uploadId, stored.Width, stored.Height);
    }
}
