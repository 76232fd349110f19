using System.Buffers.Text;
using System.Text.Json;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Gallery;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DreamLayer.Web.Features.Api;

/// <summary>
/// The gallery over REST, through the same services as the gallery page and so with its rules: the same filters and
/// order (<see cref="GalleryService.PageAsync"/>), another person's private image is not found for a member, only the
/// owner or an admin moves an image to the trash (restored on the Trash page), anyone who sees an image favourites it
/// or puts it on a board they see.
/// </summary>
internal static class ApiGalleryEndpoints
{
    /// <summary>The most images one page of <c>GET /api/v1/images</c> holds.</summary>
    public const int MaxPageSize = 200;

    public const int DefaultPageSize = 50;

    internal static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/images", PageAsync).WithName("ListImages")
            .WithSummary("Searches and pages the gallery with the gallery page's filters, newest first (or by person)")
            .WithDescription($"q searches prompts and negative prompts as words; mode, model, lora, sampler, person (an owner's id), board (an id), " +
                "favourites, mine, width+height, from/to (days, yyyy-MM-dd, in timeZone, an IANA or Windows id, UTC when not given), sort " +
                $"(newest or person), trash (your trash; an admin's: everyone's). pageSize 1 to {MaxPageSize} ({DefaultPageSize} when not given); " +
                "pass nextCursor back as cursor for the next page.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/images/{id:guid}", DetailsAsync).WithName("GetImage")
            .WithSummary("One image: its parameters as stored, its A1111 infotext, and the addresses of its file and thumbnail")
            .WithDescription("Another person's private image is not found (404) for a member.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id:guid}/file", ImageEndpoints.FileAsync).WithName("GetImageFile")
            .WithSummary("The image's file (PNG with its prompt, workflow and parameters chunks); download=true names it for saving")
            .Produces(StatusCodes.Status200OK, contentType: "image/png").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/images/{id:guid}/thumbnail", ImageEndpoints.ThumbnailAsync).WithName("GetImageThumbnail")
            .WithSummary("The image's thumbnail (JPEG)")
            .Produces(StatusCodes.Status200OK, contentType: "image/jpeg").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/images/{id:guid}/favourite", (Guid id, SignedInUser user, GalleryService gallery, CancellationToken ct) => FavouriteAsync(id, true, user, gallery, ct))
            .WithName("FavouriteImage").WithSummary("Makes the image one of your favourites").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/images/{id:guid}/favourite", (Guid id, SignedInUser user, GalleryService gallery, CancellationToken ct) => FavouriteAsync(id, false, user, gallery, ct))
            .WithName("UnfavouriteImage").WithSummary("Takes the image out of your favourites").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPut("/images/{id:guid}/boards/{boardId:guid}", AddToBoardAsync).WithName("AddImageToBoard")
            .WithSummary("Puts the image on a board (one you see: shared, or your own)").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/images/{id:guid}/boards/{boardId:guid}", RemoveFromBoardAsync).WithName("RemoveImageFromBoard")
            .WithSummary("Takes the image off a board").ProducesProblem(StatusCodes.Status404NotFound);
        api.MapDelete("/images/{id:guid}", TrashAsync).WithName("DeleteImage")
            .WithSummary("Moves the image to the trash (its owner or an admin restores it on the Trash page)")
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/boards", async (SignedInUser user, BoardService boards, CancellationToken ct) =>
                TypedResults.Ok<IReadOnlyList<ApiBoard>>([.. (await boards.ListAsync(user, ct)).Select(b => new ApiBoard(b.Id, b.Name, b.OwnerName, b.IsShared))]))
            .WithName("ListBoards").WithSummary("The boards you see: the team's shared ones and your own");
    }

    private static async Task<Results<Ok<ApiImagePage>, ProblemHttpResult>> PageAsync(SignedInUser user, GalleryService gallery,
        string? q, string? mode, string? model, string? lora, string? sampler, string? person, Guid? board, bool? favourites, bool? mine,
        int? width, int? height, DateOnly? from, DateOnly? to, string? timeZone, string? sort, bool? trash, string? cursor, int? pageSize, CancellationToken ct)
    {
        var size = pageSize ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            return ApiProblems.Invalid("pageSize", $"pageSize is from 1 to {MaxPageSize}.");
        }
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrEmpty(timeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out zone))
        {
            return ApiProblems.Invalid("timeZone", $"There is no time zone '{timeZone}'; use an IANA id such as Europe/Paris.");
        }
        GallerySort? order = sort?.ToLowerInvariant() switch
        {
            null or "" or "newest" => GallerySort.Newest,
            "person" => GallerySort.Person,
            _ => null,
        };
        if (order is null)
        {
            return ApiProblems.Invalid("sort", "sort is newest or person.");
        }
        if ((width is null) != (height is null))
        {
            return ApiProblems.Invalid(width is null ? "width" : "height", "Give width and height together (an image size).");
        }
        GalleryCursor? after = null;
        if (!string.IsNullOrEmpty(cursor) && (after = ReadCursor(cursor)) is null)
        {
            return ApiProblems.Invalid("cursor", "The cursor is not one this API gave; pass nextCursor from the previous page as it is.");
        }
        var filter = new GalleryFilter
        {
            View = trash == true ? GallerySection.Trash : GallerySection.Images,
            Sort = order.Value,
            Text = q,
            OwnerId = person,
            Mode = mode,
            Model = model,
            Lora = lora,
            Sampler = sampler,
            Width = width,
            Height = height,
            From = from,
            To = to,
            TimeZone = zone!,
            FavouritesOnly = favourites == true,
            MineOnly = mine == true,
            BoardId = board,
        };
        var page = await gallery.PageAsync(user, filter, after, size, ct);
        return TypedResults.Ok(new ApiImagePage(
            [.. page.Select(i => new ApiImage(i.Id, i.CreatedAt, i.OwnerId, i.OwnerName, i.Prompt, i.Width, i.Height, i.IsPrivate,
                Url(i.Id), Url(i.Id) + "/file", Url(i.Id) + "/thumbnail"))],
            page.Count == size ? WriteCursor(page[^1].Cursor) : null));
    }

    private static async Task<Results<Ok<ApiImageDetails>, ProblemHttpResult>> DetailsAsync(Guid id, SignedInUser user, GalleryService gallery, CancellationToken ct)
    {
        if (await gallery.DetailsAsync(user, id, ct) is not { } details)
        {
            return NotFound(id);
        }
        var (image, job) = (details.Image, details.Job);
        JsonElement? parameters = null;
        if (!string.IsNullOrEmpty(job.RequestJson))
        {
            using var document = JsonDocument.Parse(job.RequestJson);
            parameters = document.RootElement.Clone();
        }
        return TypedResults.Ok(new ApiImageDetails(image.Id, job.Id, image.CreatedAt, image.OwnerId, image.OwnerName, image.Mode, image.Model,
            image.Sampler, image.Prompt, image.NegativePrompt, job.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), image.Width, image.Height,
            image.IsPrivate, details.IsFavourite, image.DeletedAt is not null, image.Parameters, parameters,
            Url(image.Id) + "/file", Url(image.Id) + "/thumbnail"));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> FavouriteAsync(Guid id, bool favourite, SignedInUser user, GalleryService gallery, CancellationToken ct) =>
        await gallery.SetFavouriteAsync(user, id, favourite, ct) ? TypedResults.NoContent() : NotFound(id);

    private static async Task<Results<NoContent, ProblemHttpResult>> AddToBoardAsync(Guid id, Guid boardId, SignedInUser user, GalleryService gallery, BoardService boards, CancellationToken ct)
    {
        if (await gallery.FindVisibleAsync(user, [id], ct) is not [_])
        {
            return NotFound(id);
        }
        return (await boards.AddAsync(user, boardId, [id], ct)).Done == 1 ? TypedResults.NoContent() : BoardNotFound(boardId);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveFromBoardAsync(Guid id, Guid boardId, SignedInUser user, GalleryService gallery, BoardService boards, CancellationToken ct)
    {
        if (await gallery.FindVisibleAsync(user, [id], ct) is not [_])
        {
            return NotFound(id);
        }
        return (await boards.RemoveAsync(user, boardId, [id], ct)).Refused == 0 ? TypedResults.NoContent() : BoardNotFound(boardId);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> TrashAsync(Guid id, SignedInUser user, GalleryService gallery, CancellationToken ct)
    {
        if (await gallery.FindVisibleAsync(user, [id], ct) is not [var image])
        {
            return NotFound(id);
        }
        if (!user.CanManage(image.OwnerId))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Not yours to delete",
                detail: $"Only {image.OwnerName}, who made it, or an admin may move image {id} to the trash.");
        }
        await gallery.TrashAsync(user, [id], ct);
        return TypedResults.NoContent();
    }

    private static string Url(Guid id) => $"{ApiExtensions.Prefix}/images/{id}";

    /// <summary>Where a client with a token fetches an image (the pages' <c>/images/{id}</c> takes only the browser's cookie).</summary>
    public static string FileUrl(Guid id) => $"{ApiExtensions.Prefix}/images/{id}/file";

    private static ProblemHttpResult NotFound(Guid id) => ApiProblems.NotFound("Image not found", $"There is no image {id} that you may see.");

    private static ProblemHttpResult BoardNotFound(Guid id) => ApiProblems.NotFound("Board not found", $"There is no board {id} that you may see.");

    /// <summary>A cursor is the last image's sort keys, as base64url JSON: opaque to a client, checked when it comes back.</summary>
    private static string WriteCursor(GalleryCursor cursor) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new object[] { cursor.CreatedAt.Ticks, cursor.Seq, cursor.OwnerName }));

    private static GalleryCursor? ReadCursor(string text)
    {
        if (text.Length > 1024)
        {
            return null;
        }
        try
        {
            var parts = JsonSerializer.Deserialize<JsonElement[]>(Base64Url.DecodeFromChars(text));
            return parts is [{ ValueKind: JsonValueKind.Number } ticks, { ValueKind: JsonValueKind.Number } seq, { ValueKind: JsonValueKind.String } owner]
                && ticks.TryGetInt64(out var t) && t >= DateTime.MinValue.Ticks && t <= DateTime.MaxValue.Ticks && seq.TryGetInt64(out var s)
                ? new GalleryCursor(new DateTime(t, DateTimeKind.Utc), s, owner.GetString()!)
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }
}
