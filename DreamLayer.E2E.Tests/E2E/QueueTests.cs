using ComfyStandIn;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The Queue page follows jobs live as they wait, run on two servers and finish.</summary>
public sealed class QueueTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static GenerationRequest Request(int batchCount) => new()
    {
        Prompt = "a lighthouse",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Steps = 12,
        Width = 256,
        Height = 256,
        BatchCount = batchCount,
    };

    [Fact]
    public async Task QueuePage_JobsWaitRunAndFinish_TableFollowsLiveInFairOrder()
    {
        var slow = new StandInOptions { StepTime = TimeSpan.FromMilliseconds(120), Previews = false };
        var slow2 = new StandInOptions { StepTime = TimeSpan.FromMilliseconds(120), Previews = false };
        await using var app = await DreamLayerApp.StartManyAsync([slow, slow2], new Dictionary<string, string?> { ["ComfyUi:MaxJobsInFlight"] = "1" });
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        var alice = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(Request(3), app.Alice.Id, default)).JobIds;
        var bob = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(Request(1), app.Bob.Id, default)).JobIds;
        await using var context = await browser.NewContextAsync();
        var page = new QueuePageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Admin);
        await page.OpenAsync();

        await Expect(page.Summary).ToContainTextAsync("2 of 2 servers online");
        await Expect(page.PausedNotice).ToBeVisibleAsync();
        await Expect(page.Rows).ToHaveCountAsync(4);
        await Expect(page.Row(alice[0]).GetByTestId("queue-position")).ToHaveTextAsync("1");
        await Expect(page.Row(bob[0]).GetByTestId("queue-position")).ToHaveTextAsync("2");
        await Expect(page.Row(alice[1]).GetByTestId("queue-position")).ToHaveTextAsync("3");
        await Expect(page.Row(bob[0]).GetByTestId("queue-owner")).ToHaveTextAsync("Bob");

        await page.Resume.ClickAsync();

        await Expect(page.PausedNotice).ToHaveCountAsync(0);
        await Expect(page.Row(alice[0])).ToHaveAttributeAsync("data-status", "Running");
        await Expect(page.Row(bob[0])).ToHaveAttributeAsync("data-status", "Running");
        await Expect(page.Row(alice[0]).GetByTestId("queue-progress")).ToContainTextAsync("step");
        await Expect(page.Server(DreamLayerApp.ServerName(0)).GetByTestId("server-state")).ToHaveTextAsync("busy");
        var servers = new[] { await page.Row(alice[0]).GetByTestId("queue-server").InnerTextAsync(), await page.Row(bob[0]).GetByTestId("queue-server").InnerTextAsync() };
        Assert.Equal([DreamLayerApp.ServerName(0), DreamLayerApp.ServerName(1)], servers.Order());

        await Expect(page.Empty).ToBeVisibleAsync(new() { Timeout = BrowserFixture.GuardMs });
        await Expect(page.Server(DreamLayerApp.ServerName(0)).GetByTestId("server-state")).ToHaveTextAsync("online");
    }

    [Fact]
    public async Task QueuePage_Member_CancelsOwnBatchButCannotCancelOthersOrPause()
    {
        await using var app = await DreamLayerApp.StartManyAsync([new StandInOptions { StepTime = TimeSpan.FromMilliseconds(50), Previews = false }]);
        var queue = app.Get<JobQueue>();
        queue.SetDispatchPaused(true);
        var batch = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(Request(3), app.Alice.Id, default)).JobIds;
        var bobs = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(Request(1), app.Bob.Id, default)).JobIds[0];
        await using var context = await browser.NewContextAsync();
        var page = new QueuePageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await Expect(page.Rows).ToHaveCountAsync(4);
        await Expect(page.Pause.Or(page.Resume)).ToHaveCountAsync(0);
        await Expect(page.Row(bobs).GetByTestId("queue-cancel")).ToHaveCountAsync(0);

        await page.Row(batch[0]).GetByTestId("queue-cancel-batch").ClickAsync();

        await Expect(page.Rows).ToHaveCountAsync(1);
        await Expect(page.Row(bobs)).ToBeVisibleAsync();
        Assert.All(batch, id => Assert.True(app.Get<JobEvents>().TryGet(id, out var p) && p.Status == DreamLayer.Domain.Jobs.JobStatus.Cancelled));
    }
}
