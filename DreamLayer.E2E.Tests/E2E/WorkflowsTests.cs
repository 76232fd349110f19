using DreamLayer.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>A person imports a ComfyUI workflow, edits its form, saves it to the library and runs it, in a real browser.</summary>
public sealed class WorkflowsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static string WorkflowFile(string name) => Path.Combine(TestPaths.TestData, "workflows", name);

    [Fact]
    public async Task ImportRenameSaveAndRun_DefaultWorkflow_MakesAnImageFromTheRenamedField()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new WorkflowsPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();

        await page.File.SetInputFilesAsync(WorkflowFile("comfyui_default_txt2img_api.json"));
        await Expect(page.Editor).ToBeVisibleAsync();
        await Expect(page.CompatibleNote).ToBeVisibleAsync();
        await Expect(page.Page.GetByTestId("save-error")).ToHaveCountAsync(0);
        await Expect(page.FieldRow("Prompt", "6").GetByLabel("Default")).ToHaveValueAsync("masterpiece best quality girl");
        await WorkflowsPageObject.FillAsync(page.FieldRow("Prompt", "6").GetByLabel("Label"), "Scene");
        await WorkflowsPageObject.FillAsync(page.Page.GetByLabel("Name", new() { Exact = true }), "Team default");
        await page.Save.ClickAsync();

        await Expect(page.LibraryItems).ToHaveCountAsync(1);
        await Expect(page.LibraryItems.First).ToContainTextAsync("Team default");
        await Expect(page.LibraryItems.First).ToContainTextAsync(app.Alice.DisplayName);
        await Expect(page.Editor).ToHaveCountAsync(0);

        await page.LibraryItems.First.GetByRole(AriaRole.Link, new() { Name = "Run" }).ClickAsync();
        var scene = page.Page.GetByLabel("Scene", new() { Exact = true });
        await Expect(scene).ToHaveValueAsync("masterpiece best quality girl");
        await WorkflowsPageObject.FillAsync(scene, "a red fox in fresh snow");
        await WorkflowsPageObject.FillAsync(page.Page.GetByLabel("Steps", new() { Exact = true }), "4");
        await page.Generate.ClickAsync();

        await Expect(page.JobCards).ToHaveCountAsync(1);
        var card = page.NewestCard;
        await Expect(card.Root.GetByTestId("job-summary")).ToHaveTextAsync("Team default: a red fox in fresh snow");
        await Expect(card.Status).ToHaveTextAsync("Done");
        await Expect(card.ResultImage).ToBeVisibleAsync();

        await using var db = app.CreateDbContext();
        var job = await db.Jobs.SingleAsync();
        Assert.Equal(app.Alice.Id, job.Owner);
        var sent = DreamLayer.Domain.Comfy.ComfyGraph.Parse(job.GraphJson!);
        Assert.Equal("a red fox in fresh snow", sent["6"].Inputs["text"]!.GetValue<string>());
        Assert.Equal("4", sent["3"].Inputs["steps"]!.ToJsonString());
    }

    [Fact]
    public async Task Import_UiFormatFile_IsRefusedWithHowToExport()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = new WorkflowsPageObject(await context.NewPageAsync(), app.RootUri);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        var uiFormat = DreamLayer.Domain.Metadata.PngTextChunks.Find(
            await File.ReadAllBytesAsync(Path.Combine(TestPaths.TestData, "comfyui-png", "lora.png")), "workflow")!;

        await page.File.SetInputFilesAsync(new FilePayload { Name = "lora.json", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(uiFormat) });

        await Expect(page.ImportError).ToContainTextAsync("Export (API)");
        await Expect(page.Editor).ToHaveCountAsync(0);
    }
}
