using System.Globalization;

namespace DreamLayer.Benchmark;

/// <summary>
/// The command line of the modes that seed a data folder (gallery, dashboard): <c>--name value</c> pairs, where
/// <c>--data</c> takes a folder and every other option a whole number of at least 1.
/// </summary>
internal static class DataModeOptions
{
    /// <summary>Applies each pair to <paramref name="settings"/>: the folder through <paramref name="withData"/>, a number through <paramref name="withNumber"/> (which refuses an unknown option).</summary>
    public static T Parse<T>(IReadOnlyList<string> args, T settings, Func<T, string, T> withData, Func<T, string, int, T> withNumber)
    {
        for (var i = 0; i < args.Count; i += 2)
        {
            if (args[i] == "--data")
            {
                settings = i + 1 < args.Count && !string.IsNullOrWhiteSpace(args[i + 1])
                    ? withData(settings, Path.GetFullPath(args[i + 1]))
                    : throw new ArgumentException("--data needs a folder");
                continue;
            }
            var value = i + 1 < args.Count && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= 1
                ? v
                : throw new ArgumentException($"{args[i]} needs a whole number of at least 1");
            settings = withNumber(settings, args[i], value);
        }
        return settings;
    }
}
