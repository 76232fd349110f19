using System.Text.Json;
using DreamLayer.Domain.A1111Api;

namespace DreamLayer.Web.Features.SdApi;

/// <summary>Answers of <c>/sdapi/v1</c> that are not the route's own shape: A1111's error body, and bodies read with their size bounded.</summary>
internal static class SdApiResults
{
    /// <summary>A1111's error body (<see cref="A1111ApiError.Body"/>) with its status.</summary>
    public static IResult Error(A1111ApiError error) => Results.Json(error.Body(), statusCode: error.Status);

    /// <summary>
    /// The JSON body as <typeparamref name="T"/>, or A1111's 422 naming where it is malformed or of the wrong type, or
    /// 413 when it is larger than <paramref name="limit"/> (announced or found while reading; it is never read past it).
    /// </summary>
    public static async Task<(T? Body, IResult? Refusal)> ReadAsync<T>(HttpContext http, long limit)
        where T : class
    {
        if (http.Request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }
        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(http.Request.Body, cancellationToken: http.RequestAborted);
            return body is null ? (null, Error(A1111ApiError.Unprocessable("The request body is empty; send a JSON object."))) : (body, null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "the body" : ex.Path[2..];
            return (null, Error(A1111ApiError.Unprocessable($"The request body is not valid JSON for this route: {where} is malformed or of the wrong type.")));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
    }

    public static IResult TooLarge(long limit) =>
        Error(new A1111ApiError(StatusCodes.Status413PayloadTooLarge, $"A request to /sdapi/v1 may send at most {limit / (1024 * 1024)} MiB."));
}
