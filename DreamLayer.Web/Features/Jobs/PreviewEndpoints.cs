using DreamLayer.Web.Accounts;
using DreamLayer.Web.Jobs;
using Microsoft.Net.Http.Headers;

namespace DreamLayer.Web.Features.Jobs;

/// <summary>
/// The newest preview frame of a running job, straight from memory (<see cref="JobEvents"/>), so that frames travel as
/// images over HTTP and never inside a page's render diff (decision 0016). The page asks with the frame's sequence
/// (<c>?v=</c>) only to make each address new; it always gets the newest frame.
/// </summary>
public static class PreviewEndpoints
{
    public static IEndpointRouteBuilder MapPreviews(this IEndpointRouteBuilder app)
    {
        // Only the job's owner and admins see its frames; anyone else is told it does not exist, as for a private image.
        app.MapGet("/previews/{jobId:guid}", (Guid jobId, SignedInUser user, JobEvents events, HttpContext http) =>
        {
            http.Response.Headers[HeaderNames.CacheControl] = "no-store";
            if (!events.TryGet(jobId, out var job) || !user.CanManage(job.Owner) || !events.TryGetPreview(jobId, out var frame))
            {
                return Results.NotFound();
            }
            http.Response.Headers["X-Preview-Sequence"] = frame.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Bytes(frame.Image, frame.MediaType);
        });
        return app;
    }
}
