using Bunit;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Features;

public sealed class JobCardTests() : MudComponentTest(services => services.AddSingleton(new JobEvents()))
{
    private static JobProgress Job(JobStatus status) => new()
    {
        JobId = Guid.NewGuid(),
        BatchId = Guid.NewGuid(),
        Status = status,
        Prompt = "a red fox in snow",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Seed = 42,
        Width = 512,
        Height = 384,
        CreatedAt = new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc),
    };

    private IRenderedComponent<JobCard> RenderCard(JobProgress job, int? queuePosition = null, Action<JobProgress>? onCancel = null,
        int restOfBatch = 0, Action<JobProgress>? onSkip = null, Action<JobProgress>? onRetry = null) =>
        Render<JobCard>(p => p
            .Add(c => c.Job, job)
            .Add(c => c.QueuePosition, queuePosition)
            .Add(c => c.RestOfBatch, restOfBatch)
            .Add(c => c.OnCancel, EventCallback.Factory.Create<JobProgress>(this, onCancel ?? (_ => { })))
            .Add(c => c.OnSkip, EventCallback.Factory.Create<JobProgress>(this, onSkip ?? (_ => { })))
            .Add(c => c.OnRetry, EventCallback.Factory.Create<JobProgress>(this, onRetry ?? (_ => { }))));

    [Fact]
    public void Render_Running_ShowsStepNodeAndProgress()
    {
        var job = Job(JobStatus.Running) with { StepValue = 7, StepMax = 20, Node = "KSampler", NodesDone = 3, NodesTotal = 7 };

        var card = RenderCard(job);

        Assert.Equal("Running", card.Find("[data-testid=job-status]").TextContent.Trim());
        var text = card.Find("[data-testid=progress-text]").TextContent;
        Assert.Contains("Step 7/20", text, StringComparison.Ordinal);
        Assert.Contains("KSampler", text, StringComparison.Ordinal);
        var progress = card.Find("[aria-label=Progress]");
        Assert.Equal("7", progress.GetAttribute("aria-valuenow"));
        Assert.Equal("20", progress.GetAttribute("aria-valuemax"));
    }

    [Fact]
    public void Render_CloudJob_SaysSentThenGenerating_InTheProvidersWords_WithoutSteps()
    {
        var sent = Job(JobStatus.Submitted) with { Cloud = true, Backend = "OpenAI", Message = "Sent to Black Forest Labs (FLUX); waiting for it to accept the task." };
        var generating = Job(JobStatus.Running) with { Cloud = true, Backend = "OpenAI", Message = "Generating at OpenAI · 12 s", Width = 0, Height = 0, Checkpoint = "flux-pro-1.1-ultra" };

        var sentCard = RenderCard(sent);
        var card = RenderCard(generating);

        Assert.Equal("Sent", sentCard.Find("[data-testid=job-status]").TextContent.Trim());
        Assert.Equal("Generating", card.Find("[data-testid=job-status]").TextContent.Trim());
        Assert.Equal("Generating at OpenAI · 12 s", card.Find("[data-testid=job-message]").TextContent.Trim());
        Assert.Empty(card.FindAll("[data-testid=progress-text]"));
        Assert.Equal("Generating", card.Find("[data-testid=progress]").GetAttribute("aria-label"));
        Assert.DoesNotContain("0×0", card.Markup, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpt-image-1", false)]
    [InlineData("flux-pro-1.1", true)]
    public void Render_CloudJob_ShowsTheSeedOnlyWhereTheModelTakesOne(string model, bool shown)
    {
        var job = Job(JobStatus.Queued) with { Cloud = true, Seed = 4242, Width = 1024, Height = 1024, Checkpoint = model };

        var settings = RenderCard(job).Find("[data-testid=job-settings]").TextContent.Trim();

        Assert.Equal(shown ? $"seed 4242 · 1024×1024 · {model}" : $"1024×1024 · {model}", settings);
    }

    [Fact]
    public void Cancel_Running_RaisesOnCancelWithTheJobId()
    {
        var job = Job(JobStatus.Running) with { StepValue = 1, StepMax = 20 };
        var cancelled = new List<Guid>();
        var card = RenderCard(job, onCancel: j => cancelled.Add(j.JobId));

        card.Find("button[aria-label=Cancel]").Click();

        Assert.Equal([job.JobId], cancelled);
    }

    [Theory]
    [InlineData(JobStatus.Succeeded)]
    [InlineData(JobStatus.Failed)]
    [InlineData(JobStatus.Cancelled)]
    public void Render_Terminal_HasNoCancelButton(JobStatus status)
    {
        var card = RenderCard(Job(status));

        Assert.Empty(card.FindAll("button[aria-label=Cancel]"));
        Assert.Empty(card.FindAll("[data-testid=progress]"));
    }

    [Fact]
    public void Render_Failed_ShowsTheMessage()
    {
        var job = Job(JobStatus.Failed) with { Message = "VAE Decode: out of memory" };

        var card = RenderCard(job);

        Assert.Equal("Failed", card.Find("[data-testid=job-status]").TextContent.Trim());
        Assert.Contains("VAE Decode: out of memory", card.Find("[data-testid=job-message]").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "Next in line")]
    [InlineData(2, "Place in queue: 3 (2 ahead)")]
    public void Render_Queued_ShowsQueuePosition(int position, string expected)
    {
        var card = RenderCard(Job(JobStatus.Queued), queuePosition: position);

        Assert.Equal(expected, card.Find("[data-testid=queue-position]").TextContent.Trim());
        Assert.Single(card.FindAll("button[aria-label=Cancel]"));
    }

    [Fact]
    public void Render_FinishedImages_OfferSendToImg2ImgAndInpaintForEachImage()
    {
        var images = new[] { Guid.NewGuid(), Guid.NewGuid() };
        var card = RenderCard(Job(JobStatus.Succeeded) with { ImageIds = images });

        var toImg2Img = card.FindAll("a[aria-label='Send to Img2Img']").Select(a => a.GetAttribute("href")).ToList();
        var toInpaint = card.FindAll("a[aria-label='Send to Inpaint']").Select(a => a.GetAttribute("href")).ToList();

        Assert.Equal(images.Select(id => $"/img2img?from={id}"), toImg2Img);
        Assert.Equal(images.Select(id => $"/inpaint?from={id}"), toInpaint);
    }

    [Fact]
    public void Render_RunningAloneOrLastOfBatch_OffersCancelButNoSkip()
    {
        var card = RenderCard(Job(JobStatus.Running));

        Assert.Single(card.FindAll("button[aria-label=Cancel]"));
        Assert.Empty(card.FindAll("button[aria-label=Skip]"));
    }

    [Fact]
    public void Skip_RunningWithMoreOfItsBatchToCome_RaisesOnSkipNotOnCancel()
    {
        var job = Job(JobStatus.Running) with { StepValue = 3, StepMax = 20 };
        var (skipped, cancelled) = (new List<Guid>(), new List<Guid>());
        var card = RenderCard(job, restOfBatch: 2, onSkip: j => skipped.Add(j.JobId), onCancel: j => cancelled.Add(j.JobId));

        card.Find("button[aria-label=Skip]").Click();

        Assert.Equal([job.JobId], skipped);
        Assert.Empty(cancelled);
        Assert.Contains("the 2 after it", card.Find("button[aria-label=Cancel]").GetAttribute("title"), StringComparison.Ordinal);
    }

    [Fact]
    public void Retry_Failed_RaisesOnRetryWithTheJob()
    {
        var job = Job(JobStatus.Failed) with { Message = "VAE Decode: out of memory" };
        var retried = new List<Guid>();
        var card = RenderCard(job, onRetry: j => retried.Add(j.JobId));

        card.Find("button[aria-label=Retry]").Click();

        Assert.Equal([job.JobId], retried);
    }

    [Theory]
    [InlineData(JobStatus.Succeeded)]
    [InlineData(JobStatus.Cancelled)]
    [InlineData(JobStatus.Running)]
    public void Render_NotFailed_HasNoRetry(JobStatus status)
    {
        Assert.Empty(RenderCard(Job(status)).FindAll("button[aria-label=Retry]"));
    }

    [Fact]
    public void Preview_OwnFrames_RenderTheCardOncePerFrameAsAnAddressOthersFramesNever()
    {
        var events = Services.GetRequiredService<JobEvents>();
        var job = Job(JobStatus.Running) with { StepValue = 3, StepMax = 20 };
        events.Publish(job);
        var card = RenderCard(job);
        events.PublishPreview(job.JobId, new byte[] { 0xFF, 0xD8, 1 }, "image/jpeg");
        var first = events.LatestPreview(job.JobId);
        card.WaitForAssertion(() => Assert.Equal($"/previews/{job.JobId}?v={first}", card.Find("[data-testid=preview]").GetAttribute("data-preview-src")));
        var renders = card.Instance.Renders;

        var other = Guid.NewGuid();
        for (var i = 0; i < 10; i++)
        {
            events.PublishPreview(other, new byte[] { 0xFF, 0xD8, (byte)i }, "image/jpeg");
        }
        events.PublishPreview(job.JobId, new byte[] { 0xFF, 0xD8, 2 }, "image/jpeg");
        var second = events.LatestPreview(job.JobId);
        card.WaitForAssertion(() => Assert.Equal($"/previews/{job.JobId}?v={second}", card.Find("[data-testid=preview]").GetAttribute("data-preview-src")));

        Assert.Equal(renders + 1, card.Instance.Renders);
        Assert.DoesNotContain("data:image", card.Markup, StringComparison.Ordinal);
    }
}
