using System.Globalization;
using Microsoft.JSInterop;

namespace DreamLayer.Web.Components.Shared;

/// <summary>How much of a moment <see cref="ViewerClock.Format"/> writes.</summary>
public enum LocalTimeKind
{
    DateTime,
    Date,
    Time,
    TimeWithSeconds,
}

/// <summary>What the browser reported: its IANA time zone and its locale's patterns (.NET custom format strings).</summary>
public sealed record ViewerClockInfo(string? TimeZone, string? DateTime, string? Date, string? Time, string? TimeWithSeconds);

/// <summary>
/// Writes times in the viewer's time zone, in the order and with the separators of their locale. The browser is
/// asked once per circuit (registered scoped; <see cref="LoadAsync"/> keeps its task); until it has answered (during
/// prerendering), times are written in UTC and say so. The server runs without culture data, so the locale comes as
/// patterns of numbers that the browser derives from its own formatting.
/// </summary>
public sealed class ViewerClock
{
    private const int MaxPatternLength = 64;
    private static readonly DateTime Sample = new(2026, 1, 2, 15, 4, 5, DateTimeKind.Utc);

    private Task? _loading;
    private TimeZoneInfo? _zone;
    private readonly Dictionary<LocalTimeKind, string> _patterns = [];

    /// <summary>True once the browser has said where and how its viewer reads time.</summary>
    public bool Known => _zone is not null;

    /// <summary>The viewer's time zone; UTC until the browser has answered.</summary>
    public TimeZoneInfo Zone => _zone ?? TimeZoneInfo.Utc;

    /// <summary>
    /// The instant <paramref name="day"/> begins in <paramref name="zone"/>, in UTC. Where a clock change skips
    /// midnight the day begins when the clock resumes; where midnight happens twice, at the first.
    /// </summary>
    public static DateTime StartOfDayUtc(DateOnly day, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        var midnight = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        var offset = zone.IsAmbiguousTime(midnight) ? zone.GetAmbiguousTimeOffsets(midnight).Max() : zone.GetUtcOffset(midnight);
        return DateTime.SpecifyKind(midnight - offset, DateTimeKind.Utc);
    }

    /// <summary>Asks the browser the first time; later calls return the same task.</summary>
    public Task LoadAsync(IJSRuntime js)
    {
        ArgumentNullException.ThrowIfNull(js);
        return _loading ??= ReadAsync(js);
    }

    private async Task ReadAsync(IJSRuntime js)
    {
        try
        {
            await using var module = await js.InvokeAsync<IJSObjectReference>("import", "./js/viewer-clock.js");
            Use(await module.InvokeAsync<ViewerClockInfo>("read"));
        }
        catch (JSDisconnectedException)
        {
            // The page went away while asking; nothing is shown any more.
        }
        catch (JSException)
        {
            Use(new ViewerClockInfo(null, null, null, null, null));
        }
    }

    /// <summary>Takes what the browser reported; anything unknown or unusable falls back to UTC and ISO-like patterns.</summary>
    public void Use(ViewerClockInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        _zone = info.TimeZone is { Length: > 0 and <= 64 } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
        _patterns[LocalTimeKind.DateTime] = Usable(info.DateTime) ?? "yyyy-MM-dd HH:mm";
        _patterns[LocalTimeKind.Date] = Usable(info.Date) ?? "yyyy-MM-dd";
        _patterns[LocalTimeKind.Time] = Usable(info.Time) ?? "HH:mm";
        _patterns[LocalTimeKind.TimeWithSeconds] = Usable(info.TimeWithSeconds) ?? "HH:mm:ss";
    }

    /// <summary><paramref name="utc"/> as the viewer reads it; before the browser has answered, in UTC with "UTC" after it.</summary>
    public string Format(DateTime utc, LocalTimeKind kind = LocalTimeKind.DateTime)
    {
        var instant = utc.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(utc, DateTimeKind.Utc) : utc.ToUniversalTime();
        if (_zone is null)
        {
            var pattern = kind switch
            {
                LocalTimeKind.Date => "yyyy-MM-dd",
                LocalTimeKind.Time => "HH:mm",
                LocalTimeKind.TimeWithSeconds => "HH:mm:ss",
                _ => "yyyy-MM-dd HH:mm",
            };
            return instant.ToString(pattern, CultureInfo.InvariantCulture) + " UTC";
        }
        return TimeZoneInfo.ConvertTimeFromUtc(instant, _zone).ToString(_patterns[kind], CultureInfo.InvariantCulture);
    }

    /// <summary>A pattern from the browser if it is short and formats a date; otherwise null.</summary>
    private static string? Usable(string? pattern)
    {
        if (pattern is not { Length: > 0 and <= MaxPatternLength })
        {
            return null;
        }
        try
        {
            _ = Sample.ToString(pattern, CultureInfo.InvariantCulture);
            return pattern;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
