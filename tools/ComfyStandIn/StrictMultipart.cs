using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ComfyStandIn;

/// <summary>
/// What a strict server or proxy in front of ComfyUI checks in a <c>multipart/form-data</c> body (RFC 7578, as browsers
/// write it): every part's <c>Content-Disposition</c> is <c>form-data</c> with a quoted <c>name</c> and, for a file, a
/// quoted <c>filename</c>; no unquoted values and no <c>filename*</c>. ComfyUI's aiohttp itself is lenient.
/// </summary>
internal static class StrictMultipart
{
    /// <summary>Reads every part's headers (the body is rewound afterwards); the first problem in words, or null.</summary>
    public static async Task<string?> CheckAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var boundary = MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? HeaderUtilities.RemoveQuotes(type.Boundary).Value : null;
        if (string.IsNullOrEmpty(boundary))
        {
            return "The multipart body has no boundary.";
        }
        request.EnableBuffering();
        try
        {
            var reader = new MultipartReader(boundary, request.Body);
            while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
            {
                var problem = Problem(section.Headers?.TryGetValue(HeaderNames.ContentDisposition, out var value) == true ? value.ToString() : null);
                if (problem is not null)
                {
                    return problem;
                }
            }
        }
        catch (IOException ex)
        {
            return "The multipart body is damaged: " + ex.Message;
        }
        finally
        {
            request.Body.Position = 0;
        }
        return null;
    }

    /// <summary>Null when <paramref name="header"/> is <c>form-data; name="…"[; filename="…"]</c> with quoted values.</summary>
    public static string? Problem(string? header)
    {
        if (header is null)
        {
            return "A part has no Content-Disposition header.";
        }
        var position = 0;
        var disposition = Token(header, ref position);
        if (!string.Equals(disposition, "form-data", StringComparison.OrdinalIgnoreCase))
        {
            return $"A part's Content-Disposition is not form-data: {header}";
        }
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            SkipSpaces(header, ref position);
            if (position == header.Length)
            {
                break;
            }
            if (header[position] != ';')
            {
                return $"Unexpected text in Content-Disposition: {header}";
            }
            position++;
            SkipSpaces(header, ref position);
            var name = Token(header, ref position);
            SkipSpaces(header, ref position);
            if (name.Length == 0 || position == header.Length || header[position] != '=')
            {
                return $"A Content-Disposition parameter has no value: {header}";
            }
            position++;
            SkipSpaces(header, ref position);
            if (name.EndsWith('*'))
            {
                return $"Content-Disposition has {name}, which RFC 7578 forbids in form-data: {header}";
            }
            if (position == header.Length || header[position] != '"' || !QuotedString(header, ref position))
            {
                return $"Content-Disposition parameter {name} is not a quoted string: {header}";
            }
            names.Add(name);
        }
        return names.Contains("name") ? null : $"Content-Disposition has no name: {header}";
    }

    private static void SkipSpaces(string s, ref int position)
    {
        while (position < s.Length && s[position] is ' ' or '\t')
        {
            position++;
        }
    }

    private static string Token(string s, ref int position)
    {
        var start = position;
        while (position < s.Length && s[position] > ' ' && s[position] < 127 && "()<>@,;:\\\"/[]?={}".IndexOf(s[position], StringComparison.Ordinal) < 0)
        {
            position++;
        }
        return s[start..position];
    }

    /// <summary>Moves past a quoted string (with quoted pairs) that starts at <paramref name="position"/>.</summary>
    private static bool QuotedString(string s, ref int position)
    {
        for (var i = position + 1; i < s.Length; i++)
        {
            switch (s[i])
            {
                case '\\':
                    i++;
                    break;
                case '"':
                    position = i + 1;
                    return true;
                case '\r' or '\n':
                    return false;
            }
        }
        return false;
    }
}
