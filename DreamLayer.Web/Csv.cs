namespace DreamLayer.Web;

/// <summary>
/// CSV as the exports write it (RFC 4180): fields separated by commas, lines ended by CRLF, a field quoted when it holds
/// a comma, a quote or a line break, with its quotes doubled. At the project's root, like <see cref="Words"/>: more than
/// one area exports.
/// </summary>
public static class Csv
{
    public const string LineEnd = "\r\n";

    /// <summary>
    /// One text field: quoted when it holds a comma, quote or line break; a leading <c>= + - @</c> (which a spreadsheet
    /// would run as a formula) is preceded by an apostrophe, as OWASP advises for CSV exports.
    /// </summary>
    public static string Field(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            text = "'" + text;
        }
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }
}
