using System.Security.Claims;
using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Features.Jobs;
using DreamLayer.Web.Jobs;
using DreamLayer.Web.Models;
using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// A request the queue refuses because no server has its checkpoint (Retry of an old job): the message says so and
/// offers the replacement, and its button queues the same request with it.
/// </summary>
public sealed class RetryOfferTests : MudComponentTest, IClassFixture<SharedApp>
{
    private readonly DreamLayerApp _app;

    private sealed class SignedIn : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(new ClaimsPrincipal(
            new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, TestUsers.Alice.Id), new Claim(ClaimTypes.Name, TestUsers.Alice.UserName)], "test"))));
    }

    public RetryOfferTests(SharedApp fixture)
        : base(services =>
        {
            ArgumentNullException.ThrowIfNull(fixture);
            foreach (var type in new[] { typeof(JobQueue), typeof(BackendPool), typeof(ModelSettings), typeof(ModelFallback), typeof(JobHistory) })
            {
                services.AddSingleton(type, fixture.App.Services.GetRequiredService(type));
            }
            services.AddSingleton<AuthenticationStateProvider, SignedIn>();
            services.AddScoped<CurrentUser>();
            services.AddScoped<GenerationSubmitter>();
        })
    {
        ArgumentNullException.ThrowIfNull(fixture);
        _app = fixture.App;
    }

    [Fact]
    public async Task Refused_ForACheckpointNoServerHas_OffersTheDefault_AndItsButtonQueuesTheSameRequestWithIt()
    {
        var replacement = _app.Get<BackendPool>().Limits!.Checkpoints[0];
        var old = new GenerationRequest { Prompt = "an old favourite", Checkpoint = "gone-xl.safetensors", Steps = 2, Width = 256, Height = 256, SeedMode = SeedMode.Fixed, Seed = 7 };
        var snackbars = Render<MudSnackbarProvider>();

        var errors = await Services.GetRequiredService<GenerationSubmitter>().SubmitAsync([old]);

        Assert.Equal(nameof(GenerationRequest.Checkpoint), Assert.Single(errors).Field);
        snackbars.WaitForAssertion(() => Assert.Contains(
            $"Nothing was queued: No server has the checkpoint gone-xl.safetensors, and its family is not known; the default checkpoint is {replacement}.",
            snackbars.Markup, StringComparison.Ordinal));
        var use = $"Use {replacement} instead";
        snackbars.WaitForAssertion(() => Assert.Single(snackbars.FindAll("button"), b => b.TextContent.Trim() == use));
        await snackbars.InvokeAsync(() => snackbars.FindAll("button").Single(b => b.TextContent.Trim() == use).Click());

        var history = _app.Get<JobHistory>();
        await DreamLayerApp.WaitUntilAsync(() => history.RecentAsync(TestUsers.Alice.Id, GenerationMode.Txt2Img, 10, default).GetAwaiter().GetResult()
            .Any(j => j.Prompt == "an old favourite" && j.Checkpoint == replacement && j.Seed == 7), "the request queued again with the replacement");
    }
}
