using DreamLayer.Web.Accounts;
using DreamLayer.Web.Models;
using Microsoft.Net.Http.Headers;

namespace DreamLayer.Web.Features.Models;

public static class ModelPreviewEndpoints
{
    /// <summary>
    /// <c>GET /models/previews/{id}</c>: a model's preview picture, to anyone signed in (every picker shows it), by id
    /// only and only while a model has it (<see cref="ModelPreviews.Locate"/>: a hidden model's only to admins); anything
    /// else is 404. A new picture gets a new id, so the answer is cached for good, with an ETag.
    /// </summary>
    public static IEndpointRouteBuilder MapModelPreviews(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/models/previews/{id:guid}", (Guid id, SignedInUser user, ModelPreviews previews, HttpContext http) =>
        {
            if (previews.Locate(user, id) is not { } path)
            {
                return Results.NotFound();
            }
            http.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
            return Results.File(path, "image/jpeg", entityTag: new EntityTagHeaderValue($"\"p{id:N}\""));
        });
        return app;
    }
}
