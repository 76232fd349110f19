using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ComfyStandIn;
using DreamLayer.Web.Tests.Infrastructure;
using static DreamLayer.Web.Tests.E2E.ReceivedGraph;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>People apply built-in presets and share their own, in the browser, against the app and the stand-in.</summary>
public sealed class PresetsTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task FastDraftAndLowMemory_Applied_ChangeTheFormAndTheGraphTheServerRuns()
    {
        await using var app = await DreamLayerApp.StartAsync(stepTime: TimeSpan.FromMilliseconds(5));
        await using var context = await browser.NewContextAsync();
        var page = new Txt2ImgPageObject(await context.NewPageAsync(), app.RootUri);
        var presets = new PresetsObject(page.Page);
        await page.SignInAsync(app.Alice);
        await page.OpenAsync();
        await page.FillAsync("Prompt", "a lighthouse on a cliff");
        await page.FillAsync("Steps", "30");
        await page.FillAsync("CFG scale", "5.5");
        await page.FillAsync("Batch size", "3");
        await page.FillAsync("Batch count", "2");
        await presets.ChooseInSelectAsync("Sampler", "sampler", "dpmpp_2m");
        // Nothing is applied on opening, and the list says so rather than naming a preset.
        await Expect(presets.SelectValue("preset")).ToHaveValueAsync("No preset");
        await Expect(presets.Description).ToHaveCountAsync(0);
        await Expect(presets.Apply).ToBeDisabledAsync();

        await presets.ChooseAsync("Fast draft");
        await Expect(presets.Description).ToContainTextAsync("Steps: at most 12");
        await presets.Apply.ClickAsync();

        await Expect(presets.Applied).ToContainTextAsync("Applied 'Fast draft'.");
        await Expect(page.Steps).ToHaveValueAsync("12");
        await Expect(presets.SelectValue("sampler")).ToHaveValueAsync("euler");
        await Expect(page.Page.GetByLabel("Batch size", new() { Exact = true })).ToHaveValueAsync("1");
        await Expect(page.BatchCount).ToHaveValueAsync("1");
        await Expect(page.Prompt).ToHaveValueAsync("a lighthouse on a cliff");
        await Expect(page.Page.GetByLabel("CFG scale", new() { Exact = true })).ToHaveValueAsync("5.5");

        await presets.ApplyAsync("Low memory");
        await Expect(page.Page.GetByLabel("Tiled VAE decode", new() { Exact = true })).ToBeCheckedAsync();
        await page.Generate.ClickAsync();

        await Expect(page.NewestCard.Status).ToHaveTextAsync("Done", new() { Timeout = BrowserFixture.GuardMs });
        var graph = await ReceivedGraph.OnlyAsync(app);
        var sampler = NodeOfClass(graph, "KSampler");
        Assert.Equal((12, "euler", 5.5), (sampler.GetProperty("steps").GetInt32(), sampler.GetProperty("sampler_name").GetString(), sampler.GetProperty("cfg").GetDouble()));
        Assert.Equal(1, NodeOfClass(graph, "EmptyLatentImage").GetProperty("batch_size").GetInt32());
        Assert.Equal(512, NodeOfClass(graph, "VAEDecodeTiled").GetProperty("tile_size").GetInt32());
        Assert.DoesNotContain(graph.EnumerateObject(), n => n.Value.GetProperty("class_type").GetString() == "VAEDecode");
        await Expect(page.JobCards).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task SharedPreset_SavedByAlice_IsAppliedByBobWhoCannotDeleteIt()
    {
        await using var app = await DreamLayerApp.StartAsync();
        await using var aliceContext = await browser.NewContextAsync();
        var alice = new Txt2ImgPageObject(await aliceContext.NewPageAsync(), app.RootUri);
        var alicePresets = new PresetsObject(alice.Page);
        await alice.SignInAsync(app.Alice);
        await alice.OpenAsync();
        await alice.FillAsync("Steps", "27");
        await alice.FillAsync("Width", "640");
        await alice.FillAsync("Negative prompt", "watermark");

        await alicePresets.SaveAsPreset.ClickAsync();
        await alicePresets.Name.FillAsync("Alice portrait");
        await alicePresets.Group("Negative prompt: as typed").CheckAsync();
        await alicePresets.Group("Batch: size and count").UncheckAsync();
        await alicePresets.Shared.CheckAsync();
        await alicePresets.Save.ClickAsync();
        await Expect(alicePresets.Message).ToHaveTextAsync("Saved 'Alice portrait'.");
        await Expect(alicePresets.SelectValue("preset")).ToHaveValueAsync("Alice portrait");
        await Expect(alicePresets.Delete).ToBeVisibleAsync();

        await using var bobContext = await browser.NewContextAsync();
        var bob = new Txt2ImgPageObject(await bobContext.NewPageAsync(), app.RootUri);
        var bobPresets = new PresetsObject(bob.Page);
        await bob.SignInAsync(app.Bob);
        await bob.OpenAsync();
        await bob.FillAsync("Prompt", "a red fox");
        await bob.FillAsync("Batch size", "2");

        await bobPresets.ChooseAsync("Alice portrait");
        await Expect(bobPresets.Description).ToContainTextAsync("Shared, by Alice.");
        await Expect(bobPresets.Description).ToContainTextAsync("Negative prompt: 'watermark'");
        await Expect(bobPresets.Delete).ToHaveCountAsync(0);
        await Expect(bobPresets.Rename).ToHaveCountAsync(0);
        await bobPresets.Apply.ClickAsync();

        await Expect(bobPresets.Applied).ToContainTextAsync("Applied 'Alice portrait'.");
        await Expect(bob.Steps).ToHaveValueAsync("27");
        await Expect(bob.Page.GetByLabel("Width", new() { Exact = true })).ToHaveValueAsync("640");
        await Expect(bob.NegativePrompt).ToHaveValueAsync("watermark");
        await Expect(bob.Page.GetByLabel("Batch size", new() { Exact = true })).ToHaveValueAsync("2");
        await Expect(bob.Prompt).ToHaveValueAsync("a red fox");
    }

    [Fact]
    public async Task LowMemory_OnImg2ImgAgainstAServerWithoutTiledDecode_SaysWhatWasSkippedAndWhy()
    {
        var catalogue = JsonNode.Parse(await File.ReadAllTextAsync(TestPaths.ObjectInfoJson))!.AsObject();
        catalogue.Remove("VAEDecodeTiled");
        var path = Path.Combine(Path.GetTempPath(), $"object_info-no-tiled-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, catalogue.ToJsonString());
        try
        {
            await using var app = await DreamLayerApp.StartAsync(standInOptions: new StandInOptions { ObjectInfoPath = path });
            await using var context = await browser.NewContextAsync();
            var page = new ImageModePageObject(await context.NewPageAsync(), app.RootUri, "/img2img");
            var presets = new PresetsObject(page.Page);
            await page.SignInAsync(app.Alice);
            await page.OpenAsync();
            await page.FillAsync("Batch size", "2");
            var reason = "This server has no VAEDecodeTiled node, so it cannot do a tiled VAE decode.";
            await Expect(page.Page.GetByTestId("tiled-vae-help")).ToHaveTextAsync(reason);
            await Expect(page.Page.GetByLabel("Tiled VAE decode", new() { Exact = true })).ToBeDisabledAsync();

            await presets.ApplyAsync("Low memory");

            await Expect(presets.Applied).ToContainTextAsync("Applied 'Low memory', except:");
            await Expect(presets.Skipped).ToHaveTextAsync($"Tiled VAE decode: {reason}");
            await Expect(page.Page.GetByLabel("Batch size", new() { Exact = true })).ToHaveValueAsync("1");
            await Expect(page.Page.GetByLabel("Tiled VAE decode", new() { Exact = true })).Not.ToBeCheckedAsync();
        }
        finally
        {
            File.Delete(path);
        }
    }
}
