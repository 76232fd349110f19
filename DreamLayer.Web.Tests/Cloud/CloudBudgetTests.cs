using System.Net;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Pricing;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Usage;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>
/// Monthly budgets for cloud pictures, the prices counted, and the usage they are read from: a submit over a budget is
/// refused with the amounts, two at once cannot both spend the last dollar, and members see only their own usage.
/// </summary>
public sealed class CloudBudgetTests : IAsyncLifetime
{
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync() => _app = await DreamLayerApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private DateTime Now => _app.Get<TimeProvider>().GetUtcNow().UtcDateTime;

    private SignedInUser Admin => new(_app.Admin.Id, _app.Admin.UserName, _app.Admin.DisplayName, IsAdmin: true);

    private SignedInUser Member => new(_app.Alice.Id, _app.Alice.UserName, _app.Alice.DisplayName, IsAdmin: false);

    private async Task<Guid> RecordJobAsync(string owner, decimal usd, DateTime? at = null, string model = "FLUX 1.1 [pro]")
    {
        var id = Guid.NewGuid();
        await using var db = _app.CreateDbContext();
        db.Jobs.Add(new JobEntity
        {
            Id = id,
            BatchId = id,
            Owner = owner,
            Mode = "Txt2Img",
            Status = JobStatus.Succeeded,
            Checkpoint = model,
            CreatedAt = at ?? Now,
            CostUsd = usd,
        });
        await db.SaveChangesAsync();
        return id;
    }

    [Fact]
    public async Task Reserve_OverTheirOwnBudget_IsRefusedWithTheAmounts_AndWithinIt_Recorded()
    {
        var budgets = _app.Get<CloudBudgets>();
        Assert.Null(await budgets.SetPerPersonAsync(Admin, 1.00m, default));
        await RecordJobAsync(_app.Alice.Id, 0.90m);
        await RecordJobAsync(_app.Alice.Id, 5.00m, Now.AddMonths(-1)); // last month's does not count
        var recorded = 0;

        var refusal = await budgets.ReserveAsync(_app.Alice.Id, 0.25m, () => { recorded++; return Task.CompletedTask; }, default);

        Assert.NotNull(refusal);
        Assert.Contains("This would cost $0.25", refusal, StringComparison.Ordinal);
        Assert.Contains("your cloud budget", refusal, StringComparison.Ordinal);
        Assert.Contains("$1.00, of which $0.90 is spent", refusal, StringComparison.Ordinal);
        Assert.Contains("($0.10 left)", refusal, StringComparison.Ordinal);
        Assert.Equal(0, recorded);

        Assert.Null(await budgets.ReserveAsync(_app.Alice.Id, 0.10m, () => { recorded++; return Task.CompletedTask; }, default));
        Assert.Equal(1, recorded);
        // Bob has spent nothing: the per-person budget is each person's.
        Assert.Null(await budgets.RefusalAsync(_app.Bob.Id, 0.95m, default));
    }

    [Fact]
    public async Task TeamBudget_CountsEveryone_AndAPersonsOwnBudgetReplacesTheDefault()
    {
        var budgets = _app.Get<CloudBudgets>();
        Assert.Null(await budgets.SetTeamAsync(Admin, 2.00m, default));
        Assert.Null(await budgets.SetPerPersonAsync(Admin, 0.50m, default));
        Assert.Null(await budgets.SetForPersonAsync(Admin, _app.Alice.Id, 10.00m, default));
        await RecordJobAsync(_app.Bob.Id, 0.40m);
        await RecordJobAsync(_app.Alice.Id, 1.50m);

        var overTeam = await budgets.RefusalAsync(_app.Alice.Id, 0.20m, default);
        Assert.Contains("over the team's cloud budget", overTeam, StringComparison.Ordinal);
        Assert.Contains("$2.00, of which $1.90 is spent", overTeam, StringComparison.Ordinal);
        Assert.Null(await budgets.RefusalAsync(_app.Alice.Id, 0.10m, default));
        Assert.Contains("your cloud budget", await budgets.RefusalAsync(_app.Bob.Id, 0.15m, default), StringComparison.Ordinal);

        Assert.Null(await budgets.SetForPersonAsync(Admin, _app.Alice.Id, null, default));
        Assert.DoesNotContain(_app.Alice.Id, (await budgets.CurrentAsync(default)).People.Keys);
        Assert.Equal(0.50m, (await budgets.CurrentAsync(default)).For(_app.Alice.Id));
    }

    [Fact]
    public async Task TwoSubmitsAtOnce_CannotBothSpendTheLastDollar()
    {
        var budgets = _app.Get<CloudBudgets>();
        Assert.Null(await budgets.SetPerPersonAsync(Admin, 1.00m, default));
        var gate = new TaskCompletionSource();

        async Task<string?> SubmitAsync() => await budgets.ReserveAsync(_app.Alice.Id, 0.60m, async () =>
        {
            await gate.Task; // the first one's jobs are written only after the second has asked
            await RecordJobAsync(_app.Alice.Id, 0.60m);
        }, default);

        var first = SubmitAsync();
        var second = SubmitAsync();
        gate.SetResult();
        var answers = await Task.WhenAll(first, second);

        Assert.Single(answers, a => a is null);
        Assert.Single(answers, a => a is not null && a.Contains("$0.40 left", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Settings_AdminsOnly_BadAmountsExplained()
    {
        var budgets = _app.Get<CloudBudgets>();
        var prices = _app.Get<CloudPrices>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => budgets.SetTeamAsync(Member, 5m, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => budgets.SetForPersonAsync(Member, _app.Alice.Id, 500m, default));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => prices.SetAsync(Member, CloudPriceList.Prices[0].Key, 0m, default));
        Assert.Equal("A budget is in dollars and cents ($25.50).", await budgets.SetTeamAsync(Admin, 1.005m, default));
        Assert.StartsWith("A budget is from $0 to", await budgets.SetTeamAsync(Admin, -1m, default), StringComparison.Ordinal);
        Assert.Equal("That account no longer exists.", await budgets.SetForPersonAsync(Admin, "nobody", 5m, default));
        Assert.StartsWith("A price per picture is from $0 to $100.00", await prices.SetAsync(Admin, CloudPriceList.Prices[0].Key, 101m, default), StringComparison.Ordinal);
        Assert.Equal("A price has at most four decimals ($0.0425).", await prices.SetAsync(Admin, CloudPriceList.Prices[0].Key, 0.00001m, default));
        Assert.Equal("There is no such price.", await prices.SetAsync(Admin, "OpenAi/nothing//", 1m, default));
        Assert.Null((await budgets.CurrentAsync(default)).Team);
    }

    [Fact]
    public async Task ProviderCaps_AdminsOnly_OutOfRangeExplained_AndTheBackendsPageListsEveryProvider()
    {
        var backends = _app.Get<Web.Jobs.CloudBackends>();

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => backends.SetCapAsync(Member, CloudProviderId.Bfl, 3, default));
        Assert.Equal("Jobs at once for OpenAI must be between 1 and 100.", await backends.SetCapAsync(Admin, CloudProviderId.OpenAi, 0, default));
        Assert.Null(await backends.SetCapAsync(Admin, CloudProviderId.Ideogram, 5, default));
        backends.RecordError(CloudProviderId.Ideogram, "Ideogram is down.");

        var rows = await backends.StatusAsync(p => p == CloudProviderId.Ideogram ? 1 : 0, default);
        Assert.Equal(CloudCatalog.Providers, rows.Select(r => r.Provider));
        var ideogram = rows.Single(r => r.Provider == CloudProviderId.Ideogram);
        Assert.Equal((false, 5, 1, "Ideogram is down."), (ideogram.Enabled, ideogram.MaxInFlight, ideogram.InFlight, ideogram.LastError));
        Assert.NotNull(ideogram.LastErrorAt);
        Assert.All(rows.Where(r => r.Provider != CloudProviderId.Ideogram), r => Assert.Equal((2, (string?)null), (r.MaxInFlight, r.LastError)));
    }

    [Fact]
    public async Task AnAdminsPrice_IsCounted_UntilPutBackToTheListPrice()
    {
        var prices = _app.Get<CloudPrices>();
        var flux = CloudPriceList.Prices.Single(p => p.Model == "flux-pro-1.1");
        var request = new CloudImageRequest("flux-pro-1.1", "a harbour at dawn") { Count = 2 };

        Assert.Null(await prices.SetAsync(Admin, flux.Key, 0.055m, default));
        Assert.Equal(0.11m, (await prices.EstimateAsync(request, default))!.Usd);
        Assert.Equal(0.055m, (await prices.CurrentAsync(default)).Single(p => p.List.Key == flux.Key).Set);

        Assert.Null(await prices.SetAsync(Admin, flux.Key, null, default));
        Assert.Equal(0.08m, (await prices.EstimateAsync(request, default))!.Usd);
    }

    [Fact]
    public async Task Usage_IsPerPersonModelAndMonth_AndAMemberGetsOnlyTheirOwn()
    {
        await RecordJobAsync(_app.Alice.Id, 0.04m);
        await RecordJobAsync(_app.Alice.Id, 0.04m);
        await RecordJobAsync(_app.Alice.Id, 0.25m, model: "gpt-image-1");
        await RecordJobAsync(_app.Bob.Id, 0.06m, model: "FLUX 1.1 [pro] Ultra");
        using var member = await _app.CreateClientAsync(_app.Alice);
        using var admin = await _app.CreateClientAsync(_app.Admin);

        var own = await member.GetStringAsync(new Uri(UsageEndpoints.OwnCsv + "?months=3", UriKind.Relative));
        var lines = own.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("month,person,model,jobs,images,cost_usd", lines[0]);
        var month = Now.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal([$"{month},{_app.Alice.DisplayName},FLUX 1.1 [pro],2,0,0.08", $"{month},{_app.Alice.DisplayName},gpt-image-1,1,0,0.25"], lines[1..]);

        using var teamByMember = await member.GetAsync(new Uri(UsageEndpoints.TeamCsv, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, teamByMember.StatusCode);
        foreach (var page in new[] { "/usage/team", "/settings/cloud" })
        {
            using var denied = await member.GetAsync(new Uri(page, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Found, denied.StatusCode);
            Assert.Equal(AccountPaths.AccessDenied, denied.Headers.Location!.AbsolutePath);
        }
        using var badPeriod = await member.GetAsync(new Uri(UsageEndpoints.OwnCsv + "?months=7", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, badPeriod.StatusCode);

        var team = await admin.GetStringAsync(new Uri(UsageEndpoints.TeamCsv, UriKind.Relative));
        Assert.Contains($"{month},{_app.Bob.DisplayName},FLUX 1.1 [pro] Ultra,1,0,0.06", team, StringComparison.Ordinal);
        Assert.Equal(4, team.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);

        var ownPage = WebUtility.HtmlDecode(await member.GetStringAsync(new Uri("/usage", UriKind.Relative)));
        Assert.Contains("$0.33", ownPage, StringComparison.Ordinal); // the total
        Assert.DoesNotContain(_app.Bob.DisplayName, ownPage, StringComparison.Ordinal);
    }
}
