using System.Net;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Features.Dashboard;
using DreamLayer.Web.Tests.Infrastructure;

namespace DreamLayer.Web.Tests.Features.Dashboard;

/// <summary>
/// The dashboard's CSV exports: everyone gets the team's charts, only an admin the per-person one (a member gets 403, on
/// the page nothing: the per-person card is not rendered); ranges and time zones are checked; text is quoted as RFC 4180
/// says and a formula is defused.
/// </summary>
public sealed class DashboardExportTests : IAsyncLifetime
{
    private const string Range = "from=2026-03-01&to=2026-03-31";
    private DreamLayerApp _app = null!;

    public async Task InitializeAsync() => _app = await DreamLayerApp.StartAsync();

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private async Task InsertFailureAsync(string owner, string reason)
    {
        var id = Guid.NewGuid();
        var at = new DateTime(2026, 3, 4, 12, 0, 0, DateTimeKind.Utc);
        await using var db = _app.CreateDbContext();
        db.Jobs.Add(new JobEntity
        {
            Id = id,
            BatchId = id,
            Owner = owner,
            Mode = "Txt2Img",
            Status = JobStatus.Failed,
            StatusMessage = reason,
            Checkpoint = "sdxl, \"base\"",
            Backend = "gpu-1",
            CreatedAt = at,
            FinishedAt = at,
        });
        await db.SaveChangesAsync();
    }

    private static Uri Url(string chart, string query = Range) => new($"{DashboardEndpoints.ExportPrefix}{chart}.csv?{query}", UriKind.Relative);

    [Fact]
    public async Task AMember_GetsTheTeamsCharts_ButNotThePerPersonOne()
    {
        await InsertFailureAsync(_app.Bob.Id, "Out of memory");
        using var member = await _app.CreateClientAsync(_app.Alice);
        using var admin = await _app.CreateClientAsync(_app.Admin);

        using var denied = await member.GetAsync(Url("people"));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.DoesNotContain(_app.Bob.DisplayName, await denied.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var people = await admin.GetStringAsync(Url("people"));
        Assert.Equal(["person,succeeded,failed,cancelled,jobs,success_rate", $"{_app.Bob.DisplayName},0,1,0,1,0.0"], people.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));

        foreach (var chart in Enum.GetValues<DashboardChart>().Where(c => c != DashboardChart.People))
        {
            using var response = await member.GetAsync(Url(DashboardCsv.Slug(chart)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        }
        var days = (await member.GetStringAsync(Url("days"))).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(32, days.Length); // the header and 31 days of March
        Assert.Equal("2026-03-04,0,1,0,1,0.0", days[4]);

        using var anonymous = _app.CreateAnonymousClient();
        using var signedOut = await anonymous.GetAsync(Url("days"));
        Assert.NotEqual(HttpStatusCode.OK, signedOut.StatusCode);
    }

    [Theory]
    [InlineData("days", "from=2026-03-31&to=2026-03-01", HttpStatusCode.BadRequest)]
    [InlineData("days", "from=2026-03-01", HttpStatusCode.BadRequest)]
    [InlineData("days", "from=03/01/2026&to=2026-03-31", HttpStatusCode.BadRequest)]
    [InlineData("days", "from=2000-01-01&to=2026-03-31", HttpStatusCode.BadRequest)]
    [InlineData("hours", Range + "&tz=..%2F..%2Fetc%2Fpasswd", HttpStatusCode.BadRequest)]
    [InlineData("nothing", Range, HttpStatusCode.NotFound)]
    [InlineData("..", Range, HttpStatusCode.NotFound)]
    [InlineData("hours", Range + "&tz=Europe%2FBerlin", HttpStatusCode.OK)]
    [InlineData("days", "", HttpStatusCode.OK)]
    public async Task HostileQueries_GetAClearAnswer(string chart, string query, HttpStatusCode expected)
    {
        using var member = await _app.CreateClientAsync(_app.Alice);

        using var response = await member.GetAsync(Url(chart, query));

        Assert.Equal(expected, response.StatusCode);
        if (expected != HttpStatusCode.OK)
        {
            Assert.Contains("detail", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TextWithCommasQuotesAndLineBreaks_IsQuoted_AndAFormulaIsDefused()
    {
        await InsertFailureAsync(_app.Bob.Id, "Node 7, \"KSampler\":\nout of memory");
        await InsertFailureAsync(_app.Bob.Id, "=HYPERLINK(\"http://x\")");
        using var member = await _app.CreateClientAsync(_app.Alice);

        var failures = await member.GetStringAsync(Url("failures"));
        var models = await member.GetStringAsync(Url("models"));

        Assert.Contains("\r\n\"Node 7, \"\"KSampler\"\":\nout of memory\",1\r\n", failures, StringComparison.Ordinal);
        Assert.Contains("\r\n\"'=HYPERLINK(\"\"http://x\"\")\",1\r\n", failures, StringComparison.Ordinal);
        Assert.StartsWith("model,succeeded,failed,cancelled,jobs,success_rate,queue_wait_median_ms", models, StringComparison.Ordinal);
        Assert.Contains("\r\n\"sdxl, \"\"base\"\"\",0,2,0,2,0.0,,,,\r\n", models, StringComparison.Ordinal);
    }
}
