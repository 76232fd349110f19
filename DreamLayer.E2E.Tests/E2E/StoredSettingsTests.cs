using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Data;
using DreamLayer.Web.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A generation page opens even when the settings of the person's last job can no longer be read.</summary>
public sealed class StoredSettingsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task OpenTxt2Img_LastJobsSettingsNoLongerRead_OpensWithTheDefaultsAndSaysWhy()
    {
        await using var app = await DreamLayerApp.StartAsync();
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        await using (var db = app.CreateDbContext())
        {
            // A job stored before a change of the request that its row cannot follow (a mode that was renamed).
            db.Jobs.Add(new JobEntity
            {
                Id = Guid.NewGuid(),
                BatchId = Guid.NewGuid(),
                Owner = app.Alice.Id,
                Mode = "Txt2Img",
                Status = JobStatus.Failed,
                StatusMessage = "Could not be sent.",
                RequestJson = """{"mode":"Sculpture","prompt":"a marble statue"}""",
                Prompt = "a marble statue",
                CreatedAt = now,
                FinishedAt = now,
            });
            await db.SaveChangesAsync();
        }
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);

        await page.OpenAsync();

        await Expect(page.Page.GetByTestId("last-settings-note")).ToContainTextAsync("the settings of your last job could not be read");
        await Expect(page.Prompt).ToHaveValueAsync(string.Empty);
        await Expect(page.Prompt).ToBeEditableAsync();
        await Expect(page.Generate).ToBeEnabledAsync();
    }
}
