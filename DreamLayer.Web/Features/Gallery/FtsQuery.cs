using System.Text;

namespace DreamLayer.Web.Features.Gallery;

/// <summary>
/// Turns what a person types into an FTS5 MATCH expression that can never be a syntax error: every word becomes a
/// quoted phrase (quotes doubled) matched as a prefix, and the words are ANDed. FTS5 operators typed by a person
/// (<c>AND</c>, <c>NEAR</c>, <c>-</c>, <c>*</c>, <c>^</c>, <c>:</c>, parentheses, quotes) are searched as text.
/// </summary>
public static class FtsQuery
{
    /// <summary>Words beyond this are ignored, so one search box cannot build a huge query.</summary>
    public const int MaxTerms = 16;

    /// <summary>The MATCH expression, or null when the text holds no letter or digit to search for.</summary>
    /// <param name="prefix">False: every word matched whole, not as a prefix (a subset of the prefix search's matches).</param>
    public static string? Build(string? text, bool prefix = true)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }
        var terms = new List<string>();
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            // A word with no letter or digit would tokenize to nothing: an empty phrase matches nothing and `""*` is an error.
            if (!word.Any(char.IsLetterOrDigit))
            {
                continue;
            }
            var quoted = new StringBuilder(word.Length + 4).Append('"');
            foreach (var c in word)
            {
                if (char.IsControl(c))
                {
                    continue;
                }
                quoted.Append(c == '"' ? "\"\"" : c.ToString());
            }
            terms.Add(quoted.Append(prefix ? "\"*" : "\"").ToString());
            if (terms.Count == MaxTerms)
            {
                break;
            }
        }
        return terms.Count == 0 ? null : string.Join(' ', terms);
    }
}
