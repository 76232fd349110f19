using ComfyStandIn;
using DreamLayer.Web.Tests.Infrastructure;
using DreamLayer.Web.Tests.Models;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>
/// Bulk delete on the Models page in a real browser, over two servers: the first one's models folder is reachable, the
/// second one's is not. The confirmation names each file, the servers it is deleted from and the one that keeps it and
/// why; after Delete the lists are read again.
/// </summary>
public sealed class ModelsBulkDeleteTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Theory]
    [InlineData(1440, 900)]
    [InlineData(390, 844)]
    public async Task BulkDelete_ConfirmationNamesEachFileAndItsServers_ThenTheListsRefresh(int width, int height)
    {
        var reachable = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
        var remote = Directory.CreateTempSubdirectory("dreamlayer-models-").FullName;
        try
        {
            SafetensorsFiles.Write(reachable, "checkpoints", "shared.safetensors", SafetensorsFiles.Sd15Checkpoint);
            SafetensorsFiles.Write(reachable, "loras", "ink.safetensors", SafetensorsFiles.Sd15Lora);
            SafetensorsFiles.Write(reachable, "checkpoints", "keep.safetensors", SafetensorsFiles.SdxlCheckpoint);
            SafetensorsFiles.Write(remote, "checkpoints", "shared.safetensors", SafetensorsFiles.Sd15Checkpoint);
            await using var app = await DreamLayerApp.StartManyAsync(
                [new StandInOptions { ModelsDirectory = reachable, Previews = false }, new StandInOptions { ModelsDirectory = remote, Previews = false }],
                settings: new Dictionary<string, string?> { ["ComfyUi:Servers:0:ModelsDirectory"] = reachable });
            await using var context = await browser.NewContextAsync((width, height));
            var models = new ModelsPageObject(await context.NewPageAsync(), app.RootUri);
            await new SignInPageObject(models.Page, app.RootUri).SignInAsync(app.Admin, "/models");
            await models.OpenAsync();
            await Expect(models.Row("keep.safetensors")).ToBeVisibleAsync();

            await models.SelectAsync("shared.safetensors");
            await models.SelectAsync("ink.safetensors");
            await models.Page.GetByTestId("models-bulk-delete").ClickAsync();

            var dialog = models.Page.GetByRole(AriaRole.Dialog);
            var shared = dialog.Locator("[data-testid=bulk-delete-file][data-file='shared.safetensors']");
            await Expect(shared.GetByTestId("bulk-delete-from")).ToHaveTextAsync("Deleted from standin");
            await Expect(shared.GetByTestId("bulk-delete-kept")).ToContainTextAsync("Stays on standin1: The app cannot reach its models folder");
            var ink = dialog.Locator("[data-testid=bulk-delete-file][data-file='ink.safetensors']");
            await Expect(ink.GetByTestId("bulk-delete-from")).ToHaveTextAsync("Deleted from standin");
            await Expect(ink.GetByTestId("bulk-delete-kept")).ToHaveCountAsync(0);
            await Expect(dialog.GetByTestId("bulk-delete-confirm")).ToHaveTextAsync("Delete 2 files");
            await LayoutAssertions.InViewportAsync(models.Page, dialog.GetByTestId("bulk-delete-confirm"), "the dialog's Delete");
            await LayoutAssertions.ScreenshotAsync(models.Page, $"models-bulk-delete-{width}x{height}");

            await dialog.GetByTestId("bulk-delete-confirm").ClickAsync();

            // The LoRA was only on the reachable folder: its row goes. The shared checkpoint stays, listed by the server that keeps it.
            await Expect(models.Row("ink.safetensors")).ToHaveCountAsync(0);
            await Expect(models.Row("shared.safetensors").GetByTestId("model-servers")).ToHaveTextAsync("standin1");
            await Expect(models.Row("keep.safetensors")).ToBeVisibleAsync();
            Assert.False(File.Exists(Path.Combine(reachable, "checkpoints", "shared.safetensors")));
            Assert.False(File.Exists(Path.Combine(reachable, "loras", "ink.safetensors")));
            Assert.True(File.Exists(Path.Combine(remote, "checkpoints", "shared.safetensors")));
        }
        finally
        {
            Directory.Delete(reachable, recursive: true);
            Directory.Delete(remote, recursive: true);
        }
    }
}
