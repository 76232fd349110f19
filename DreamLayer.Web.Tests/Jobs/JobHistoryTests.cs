using DreamLayer.Domain.Generation;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Features.Gallery;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Tests.Jobs;

/// <summary>What the job list, Retry and a page's starting settings read of a person's past jobs: only their own.</summary>
public sealed class JobHistoryTests : IDisposable
{
    private readonly GalleryDatabase _db = new();
    private readonly JobHistory _history;

    public JobHistoryTests() => _history = new JobHistory(_db.Factory, new JobEvents());

    [Fact]
    public async Task Recent_IsThePersonsOwnJobsOfTheMode_NewestFirst_WithTheirImages()
    {
        var first = await _db.AddAsync(GalleryDatabase.Alice, "a red fox");
        await _db.AddAsync(GalleryDatabase.Bob, "bob's owl");
        await _db.AddAsync(GalleryDatabase.Alice, "an img2img harbour", mode: nameof(GenerationMode.Img2Img));
        var second = await _db.AddAsync(GalleryDatabase.Alice, "a blue heron");
        var third = await _db.AddAsync(GalleryDatabase.Alice, "a grey wolf");

        var recent = await _history.RecentAsync(GalleryDatabase.Alice.Id, GenerationMode.Txt2Img, 2, default);

        Assert.Equal(["a grey wolf", "a blue heron"], recent.Select(j => j.Prompt));
        Assert.Equal([third.Id], recent[0].ImageIds);
        Assert.Equal([second.Id], recent[1].ImageIds);
        Assert.DoesNotContain(first.JobId, recent.Select(j => j.JobId));
    }

    [Fact]
    public async Task RetryRequest_IsTheOwnJobsRequestOnceWithItsSeed_AndNothingForAnothersJob()
    {
        var alices = await _db.AddAsync(GalleryDatabase.Alice, "a lantern in fog");
        var bobs = await _db.AddAsync(GalleryDatabase.Bob, "bob's owl");

        var retry = Assert.IsType<StoredRequestRead>(await _history.RetryRequestAsync(alices.JobId, GalleryDatabase.Alice.Id, default)).Request;

        Assert.Equal("a lantern in fog", retry.Prompt);
        Assert.Equal((SeedMode.Fixed, 1UL, 1), (retry.SeedMode, retry.Seed, retry.BatchCount));
        Assert.Null(await _history.RetryRequestAsync(bobs.JobId, GalleryDatabase.Alice.Id, default));
        Assert.Null(await _history.RetryRequestAsync(Guid.NewGuid(), GalleryDatabase.Alice.Id, default));
    }

    [Fact]
    public async Task RetryRequest_OfAJobWhoseSettingsNoLongerRead_SaysWhy_InsteadOfThrowing()
    {
        var job = await _db.AddAsync(GalleryDatabase.Alice, "a lantern in fog");
        await using (var db = await _db.Factory.CreateDbContextAsync())
        {
            var row = await db.Jobs.SingleAsync(j => j.Id == job.JobId);
            row.RequestJson = """{"requestVersion": 99, "prompt": "from the future"}""";
            await db.SaveChangesAsync();
        }

        var retry = await _history.RetryRequestAsync(job.JobId, GalleryDatabase.Alice.Id, default);

        Assert.Contains("newer version of DreamLayer", Assert.IsType<StoredRequestUnreadable>(retry).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LastRequest_IsThePersonsNewestOfTheMode_AndNothingBeforeTheirFirst()
    {
        Assert.Null(await _history.LastRequestAsync(GalleryDatabase.Alice.Id, GenerationMode.Txt2Img, default));
        await _db.AddAsync(GalleryDatabase.Alice, "older");
        await _db.AddAsync(GalleryDatabase.Alice, "newest");
        await _db.AddAsync(GalleryDatabase.Bob, "bob's later one");

        var last = Assert.IsType<StoredRequestRead>(await _history.LastRequestAsync(GalleryDatabase.Alice.Id, GenerationMode.Txt2Img, default));

        Assert.Equal("newest", last.Request.Prompt);
        Assert.Null(await _history.LastRequestAsync(GalleryDatabase.Alice.Id, GenerationMode.Img2Img, default));
    }

    public void Dispose() => _db.Dispose();
}
