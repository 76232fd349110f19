using System.Globalization;

namespace DreamLayer.Benchmark;

/// <summary>
/// The live mode's command line: <c>live [--tabs 1,5,20] [--jobs 5] [--jobs-long 100,1000] [--servers 1,4] [--quick]</c>.
/// <c>--quick</c> measures 2 jobs per figure and a long run of 20 and 100 jobs, unless those are given too.
/// </summary>
internal sealed record LiveSettings(IReadOnlyList<int> Tabs, int Jobs, int ShortRun, int LongRun, IReadOnlyList<int> Servers)
{
    public const int Steps = 20, StepMs = 50, LongRunSteps = 4, LongRunStepMs = 10;

    public const string Usage = "       dotnet run -c Release --project tools/DreamLayer.Benchmark -- live [--tabs 1,5,20] [--jobs 5] [--jobs-long 100,1000] [--servers 1,4] [--quick]";

    public static LiveSettings Parse(IReadOnlyList<string> args)
    {
        var quick = args.Contains("--quick");
        var settings = quick ? new LiveSettings([1, 5, 20], 2, 20, 100, [1, 4]) : new LiveSettings([1, 5, 20], 5, 100, 1000, [1, 4]);
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--quick")
            {
                continue;
            }
            var value = i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            settings = args[i - 1] switch
            {
                "--tabs" => settings with { Tabs = List(value, "--tabs", 1, 50) },
                "--jobs" => settings with { Jobs = List(value, "--jobs", 1, 1000) is [var jobs] ? jobs : throw new ArgumentException("--jobs takes one number") },
                "--jobs-long" => List(value, "--jobs-long", 1, 100_000) is [var first, var second] && first < second
                    ? settings with { ShortRun = first, LongRun = second }
                    : throw new ArgumentException("--jobs-long takes two growing numbers, such as 100,1000"),
                "--servers" => settings with { Servers = List(value, "--servers", 1, 8) },
                _ => throw new ArgumentException($"Unknown option {args[i - 1]}"),
            };
        }
        return settings;
    }

    private static List<int> List(string value, string name, int min, int max)
    {
        var numbers = value.Split(',').Select(v => int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new ArgumentException($"{name} takes whole numbers from {min} to {max}, separated by commas: {value}")).ToList();
        return numbers.Distinct().Order().ToList();
    }
}
