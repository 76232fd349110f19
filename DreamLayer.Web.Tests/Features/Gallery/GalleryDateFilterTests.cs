using DreamLayer.Web.Components.Shared;
using DreamLayer.Web.Features.Gallery;
using static DreamLayer.Web.Tests.Features.Gallery.GalleryDatabase;

namespace DreamLayer.Web.Tests.Features.Gallery;

/// <summary>The gallery's date range is in the viewer's days: a day begins at their midnight, clock changes included.</summary>
public sealed class GalleryDateFilterTests : IDisposable
{
    private readonly GalleryDatabase _db = new();

    [Fact]
    public async Task DateRange_ForAViewerInAuckland_TakesTheirDayNotUtcs()
    {
        // In May Auckland is UTC+12: these are the evening of the 1st, the small hours of the 2nd and of the 3rd there.
        var first = await _db.AddAsync(Alice, "evening", at: new DateTime(2026, 5, 1, 10, 0, 0, DateTimeKind.Utc));
        var second = await _db.AddAsync(Alice, "night", at: new DateTime(2026, 5, 1, 13, 30, 0, DateTimeKind.Utc));
        var third = await _db.AddAsync(Alice, "next night", at: new DateTime(2026, 5, 2, 12, 30, 0, DateTimeKind.Utc));
        var auckland = TimeZoneInfo.FindSystemTimeZoneById("Pacific/Auckland");

        async Task<Guid[]> Ids(GalleryFilter f) => [.. (await _db.Gallery.PageAsync(Alice, f, null, 10)).Select(i => i.Id)];

        var may2 = new DateOnly(2026, 5, 2);
        Assert.Equal([second.Id], await Ids(new() { From = may2, To = may2, TimeZone = auckland }));
        Assert.Equal([third.Id, second.Id], await Ids(new() { From = may2, TimeZone = auckland }));
        Assert.Equal([second.Id, first.Id], await Ids(new() { To = may2, TimeZone = auckland }));
        Assert.Equal(1, await _db.Gallery.CountAsync(Alice, new() { From = may2, To = may2, TimeZone = auckland }));
        // Without a zone the days are UTC's.
        Assert.Equal([third.Id], await Ids(new() { From = may2, To = may2 }));
    }

    [Fact]
    public void StartOfDay_WhereTheClockSkipsMidnight_IsWhenItResumes()
    {
        // Chile moves its clocks from 00:00 to 01:00 on the first Sunday of September.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var day = new DateOnly(2026, 9, 6);
        Assert.True(santiago.IsInvalidTime(day.ToDateTime(TimeOnly.MinValue)), "the zone data should skip this midnight");

        var start = ViewerClock.StartOfDayUtc(day, santiago);

        Assert.Equal(new DateTime(2026, 9, 6, 4, 0, 0, DateTimeKind.Utc), start);
        Assert.Equal(new DateTime(2026, 9, 6, 1, 0, 0), TimeZoneInfo.ConvertTimeFromUtc(start, santiago));
        Assert.Equal(new DateTime(2026, 9, 5, 23, 59, 0), TimeZoneInfo.ConvertTimeFromUtc(start.AddMinutes(-1), santiago));
    }

    [Fact]
    public void StartOfDay_WhereMidnightHappensTwice_IsTheFirst()
    {
        // Cuba moves its clocks back from 01:00 to 00:00 on the first Sunday of November.
        var havana = TimeZoneInfo.FindSystemTimeZoneById("America/Havana");
        var day = new DateOnly(2026, 11, 1);
        Assert.True(havana.IsAmbiguousTime(day.ToDateTime(TimeOnly.MinValue)), "the zone data should repeat this midnight");

        var start = ViewerClock.StartOfDayUtc(day, havana);

        Assert.Equal(new DateTime(2026, 11, 1, 4, 0, 0, DateTimeKind.Utc), start);
        Assert.Equal(new DateTime(2026, 10, 31, 23, 59, 0), TimeZoneInfo.ConvertTimeFromUtc(start.AddMinutes(-1), havana));
    }

    public void Dispose() => _db.Dispose();
}
