using Microsoft.Playwright;

namespace DreamLayer.Web.Tests.E2E;

/// <summary>The LoRA, ControlNet and batch-prompt parts of a generation page, found by labels and names.</summary>
public sealed class AdvancedSectionsObject(IPage page)
{
    public ILocator AddControlNetUnit => page.GetByRole(AriaRole.Button, new() { Name = "Add ControlNet unit" });
    public ILocator ControlNetUnits => page.GetByTestId("controlnet-unit");
    public ILocator AuxUnavailable => page.GetByTestId("aux-unavailable");
    public ILocator LoraUnavailable => page.GetByTestId("lora-unavailable");

    public ILocator ControlImageName(int unit) => ControlNetUnits.Nth(unit - 1).GetByTestId("controlnet-image-name");
    public ILocator Preview(int unit) => page.GetByRole(AriaRole.Button, new() { Name = $"Preview control map {unit}" });
    public ILocator ControlMap(int unit) => ControlNetUnits.Nth(unit - 1).GetByTestId("control-map");

    public ILocator BatchSwitch => page.GetByLabel("Batch prompts: one job per line");
    public ILocator BatchText => page.GetByLabel("Prompts, one per line");
    public ILocator BatchSummary => page.GetByTestId("batch-summary");

    /// <summary>Chooses a file once Blazor's InputFile listens (it starts after the input's first interactive render; files chosen before are lost).</summary>
    public async Task ChooseFileAsync(string inputId, FilePayload file)
    {
        await page.WaitForFunctionAsync("id => document.getElementById(id)?._blazorInputFileNextFileId !== undefined", inputId);
        await page.Locator($"#{inputId}").SetInputFilesAsync(file);
    }
}
