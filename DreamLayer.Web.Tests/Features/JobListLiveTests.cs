using System.Security.Claims;
using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Jobs;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;

namespace DreamLayer.Web.Tests.Features;

/// <summary>A page's job list against the real pipeline's services: what other people's jobs and its own steps make it render.</summary>
public sealed class JobListLiveTests : MudComponentTest, IClassFixture<LiveAppFixture>
{
    private readonly DreamLayerApp _app;

    /// <summary>Alice, signed in.</summary>
    private sealed class SignedIn : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(new ClaimsPrincipal(
            new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, TestUsers.Alice.Id), new Claim(ClaimTypes.Name, TestUsers.Alice.UserName)], "test"))));
    }

    public JobListLiveTests(LiveAppFixture fixture)
        : base(services =>
        {
            ArgumentNullException.ThrowIfNull(fixture);
            services.AddSingleton(fixture.App.Get<JobQueue>());
            services.AddSingleton(fixture.App.Get<JobEvents>());
            services.AddSingleton(fixture.App.Get<JobHistory>());
            services.AddSingleton(fixture.App.Get<DreamLayer.Web.Comfy.BackendPool>());
            services.AddSingleton(fixture.App.Get<DreamLayer.Web.Models.ModelSettings>());
            services.AddSingleton(fixture.App.Get<DreamLayer.Web.Models.ModelFallback>());
            services.AddSingleton<AuthenticationStateProvider, SignedIn>();
            services.AddScoped<CurrentUser>();
            services.AddScoped<GenerationSubmitter>();
        })
    {
        _app = fixture.App;
        JSInterop.SetupModule("./Features/Jobs/JobList.razor.js");
    }

    [Fact]
    public async Task OthersJobsPreviewsAndOwnSteps_RenderOnlyTheOwnCard_NeverTheList()
    {
        var queue = _app.Get<JobQueue>();
        var events = _app.Get<JobEvents>();
        queue.SetDispatchPaused(true);
        try
        {
            var accepted = Assert.IsType<SubmitAccepted>(await queue.SubmitAsync(LiveAppFixture.Txt2Img("a lantern in fog", 20), TestUsers.Alice.Id, default));
            var mine = Assert.Single(accepted.JobIds);
            events.Update(mine, p => p with { Status = JobStatus.Running, StepValue = 1, StepMax = 20 });
            var list = Render<JobList>(p => p.Add(l => l.Mode, GenerationMode.Txt2Img).Add(l => l.Title, "Txt2Img"));
            list.WaitForAssertion(() => Assert.Contains("Step 1/20", list.Find("[data-testid=progress-text]").TextContent, StringComparison.Ordinal));
            var card = list.FindComponent<JobCard>();
            var (listRenders, cardRenders) = (list.Instance.Renders, card.Instance.Renders);

            // Bob's job on the same page's mode, and Alice's own on another page: steps and frames, many.
            var bobs = LiveAppFixture.LiveJob(TestUsers.Bob.Id, GenerationMode.Txt2Img, JobStatus.Running);
            var img2img = LiveAppFixture.LiveJob(TestUsers.Alice.Id, GenerationMode.Img2Img, JobStatus.Running);
            events.Publish(bobs);
            events.Publish(img2img);
            for (var step = 1; step <= 20; step++)
            {
                events.Update(bobs.JobId, p => p with { StepValue = step, StepMax = 20 });
                events.PublishPreview(bobs.JobId, new byte[] { 0xFF, 0xD8, (byte)step }, "image/jpeg");
                events.Update(img2img.JobId, p => p with { StepValue = step, StepMax = 20 });
                events.PublishPreview(img2img.JobId, new byte[] { 0xFF, 0xD8, (byte)step }, "image/jpeg");
            }
            // Then a step of Alice's own job on this page.
            events.Update(mine, p => p with { StepValue = 5 });
            list.WaitForAssertion(() => Assert.Contains("Step 5/20", list.Find("[data-testid=progress-text]").TextContent, StringComparison.Ordinal));

            Assert.Equal(listRenders, list.Instance.Renders);
            Assert.Equal(cardRenders + 1, card.Instance.Renders);
            Assert.Single(list.FindAll("[data-testid=job-card]"));
            Assert.Equal(CancelOutcome.Cancelled, await queue.CancelAsync(mine, TestUsers.Alice.Id, isAdmin: false, default));
        }
        finally
        {
            queue.SetDispatchPaused(false);
        }
    }
}
