using System.Buffers;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models.Install;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Features.Models.Install;

/// <summary>
/// <c>POST /models/install/upload?kind=…&amp;name=…&amp;server=…[&amp;sha256=…]</c>: the file itself is the request body,
/// streamed to the install's temporary file a chunk at a time (memory stays at one buffer, whatever the size), so a
/// multi-gigabyte model never passes through the Blazor circuit. Admins only; the page's antiforgery token must come
/// in the <c>RequestVerificationToken</c> header; the request size limit is raised for this endpoint alone.
/// </summary>
public static class ModelUploadEndpoints
{
    public const string Path = "/models/install/upload";

    private const int ChunkSize = 1024 * 1024;

    public static IEndpointRouteBuilder MapModelUploads(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(Path, UploadAsync).RequireAuthorization(p => p.RequireRole(Roles.Admin)).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> UploadAsync(HttpContext context, SignedInUser user, ModelInstalls installs, IAntiforgery antiforgery, IOptions<InstallOptions> options)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.Text("The page is out of date; reload it and upload again.", statusCode: StatusCodes.Status400BadRequest);
        }
        var limit = options.Value.MaxUploadBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        var length = context.Request.ContentLength;
        if (length is null)
        {
            return Results.Text("The upload must say its size (Content-Length).", statusCode: StatusCodes.Status411LengthRequired);
        }
        if (length > limit)
        {
            return Results.Text($"The file is {ModelInstalls.Size(length.Value)}; uploads are limited to {ModelInstalls.Size(limit)} (ModelInstall:MaxUploadBytes).", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        var query = context.Request.Query;
        var request = new InstallRequest(query["kind"].ToString(), query["name"].ToString(), [.. query["server"].OfType<string>()],
            ExpectedSha256: query["sha256"].ToString() is { Length: > 0 } sha ? sha : null);
        var (install, error) = installs.Begin(user, request, "upload");
        if (install is null)
        {
            return Results.Text(error!, statusCode: StatusCodes.Status409Conflict);
        }
        if (installs.FreeSpaceProblem(install, length.Value) is { } full)
        {
            return Results.Text(installs.Fail(install, full), statusCode: StatusCodes.Status507InsufficientStorage);
        }
        install.Total = length;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, install.Cancelled);
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            install.StartOver();
            installs.Publish(install, force: true);
            var body = context.Request.Body;
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, ChunkSize), both.Token)) > 0)
            {
                await install.WriteAsync(buffer.AsMemory(0, read), both.Token);
                installs.Publish(install);
            }
        }
        catch (OperationCanceledException) when (install.Cancelled.IsCancellationRequested)
        {
            return Results.Text(installs.Fail(install, $"Cancelled; the partial file of {request.FileName} was removed.", InstallState.Cancelled), statusCode: StatusCodes.Status409Conflict);
        }
        catch (Exception ex) when (ex is OperationCanceledException or BadHttpRequestException or Microsoft.AspNetCore.Connections.ConnectionResetException)
        {
            // The browser went away or stopped sending (Cancel, a closed tab, a dropped connection).
            installs.Fail(install, $"The upload of {request.FileName} stopped after {ModelInstalls.Size(install.Received)}; the partial file was removed.", InstallState.Cancelled);
            return Results.Empty;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Results.Text(installs.WriteFailed(install, ex), statusCode: StatusCodes.Status507InsufficientStorage);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var (done, message) = await installs.FinishAsync(install, CancellationToken.None);
        return Results.Text(message, statusCode: done ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity);
    }
}
