using System.Globalization;

namespace DreamLayer.Web;

/// <summary>
/// Counts in words: "1 image", "9 images", "1,000 images"; never "image(s)". At the project's root, outside the folders,
/// because every folder writes such words (accounts, the gallery, the pages).
/// </summary>
public static class Words
{
    /// <summary><paramref name="count"/> followed by <paramref name="singular"/>, or by <paramref name="plural"/> (default: singular + "s") unless it is 1.</summary>
    public static string Count(long count, string singular, string? plural = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count:N0} {(count == 1 ? singular : plural ?? singular + "s")}");
}
