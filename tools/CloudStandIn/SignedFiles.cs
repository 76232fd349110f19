using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CloudStandIn;

/// <summary>
/// The result files behind the URLs the providers hand out: signed, with an expiry time in the URL (like the
/// Azure-blob style <c>se=…&amp;sig=…</c> URLs OpenAI and BFL give), kept in memory. After the expiry the URL answers
/// 403, as an expired signed URL does. The oldest files are dropped beyond <see cref="Capacity"/>.
/// </summary>
internal sealed class SignedFiles(TimeProvider time)
{
    private const int Capacity = 256;
    private readonly Lock _lock = new();
    private readonly byte[] _secret = RandomNumberGenerator.GetBytes(32);
    private readonly OrderedDictionary<string, (byte[] Bytes, string MediaType)> _files = new(StringComparer.Ordinal);

    /// <summary>Stores a file and returns its signed URL under <paramref name="baseAddress"/>, valid for <paramref name="lifetime"/>.</summary>
    public string Put(Uri baseAddress, CloudProvider provider, byte[] bytes, string mediaType, TimeSpan lifetime)
    {
        var name = $"{Guid.NewGuid():N}.{(mediaType == "image/jpeg" ? "jpeg" : mediaType[(mediaType.IndexOf('/', StringComparison.Ordinal) + 1)..])}";
        var path = $"__files/{provider.ToString().ToLowerInvariant()}/{name}";
        lock (_lock)
        {
            _files[path] = (bytes, mediaType);
            while (_files.Count > Capacity) { _files.RemoveAt(0); }
        }
        var expires = time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return new Uri(baseAddress, $"{path}?se={expires}&sig={Sign(path, expires)}").ToString();
    }

    /// <summary>Answers <c>GET /__files/{provider}/{name}?se=&amp;sig=</c>.</summary>
    public async Task ServeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value!.TrimStart('/');
        var expires = ctx.Request.Query["se"].ToString();
        var sig = ctx.Request.Query["sig"].ToString();
        (byte[] Bytes, string MediaType) file;
        lock (_lock)
        {
            if (!_files.TryGetValue(path, out file)) { file = default; }
        }
        if (file.Bytes is null)
        {
            await Refuse(ctx, StatusCodes.Status404NotFound, "BlobNotFound", "The specified blob does not exist.");
            return;
        }
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(sig), Encoding.ASCII.GetBytes(Sign(path, expires))))
        {
            await Refuse(ctx, StatusCodes.Status403Forbidden, "AuthenticationFailed", "Signature did not match.");
            return;
        }
        if (!long.TryParse(expires, CultureInfo.InvariantCulture, out var se) || time.GetUtcNow().ToUnixTimeSeconds() >= se)
        {
            await Refuse(ctx, StatusCodes.Status403Forbidden, "AuthenticationFailed", "Signed expiry time has to be after signed start time; the signature has expired.");
            return;
        }
        ctx.Response.ContentType = file.MediaType;
        ctx.Response.ContentLength = file.Bytes.Length;
        await ctx.Response.Body.WriteAsync(file.Bytes, ctx.RequestAborted);
    }

    private string Sign(string path, string expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(path + "\n" + expires)));

    private static Task Refuse(HttpContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/xml";
        return ctx.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>");
    }
}
