using System.Text.Json.Nodes;
using AngleSharp.Dom;
using Bunit;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Domain.Workflows.Imported;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Txt2Img;
using DreamLayer.Web.Features.Workflows;
using DreamLayer.Web.Tests.Domain;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// Every model list shows a model the same way: its display name, its family as a chip and its file name beside; a
/// member's lists leave out the models an admin hid.
/// </summary>
public sealed class ModelPickerTests() : MudComponentTest(GenerationFormTests.AddFormServices)
{
    private const string SdxlVae = "sdxl_vae.safetensors";
    private const string PlainVae = "kl-f8.safetensors";

    /// <summary>An item's words as a person reads them: each piece of text once, separated by a space.</summary>
    private static string Shown(IElement item) =>
        string.Join(" ", item.GetDescendants().OfType<IText>().Select(t => t.Data.Trim()).Where(t => t.Length > 0));

    private List<string> OpenSelect<T>(IRenderedComponent<T> rendered, string inputId)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        (rendered.Find($"#{inputId}").Closest(".mud-input-control") ?? throw new InvalidOperationException($"No select around #{inputId}.")).MouseDown();
        return [.. Popovers.FindAll(".mud-popover-open .mud-list-item").Select(Shown)];
    }

    [Fact]
    public async Task GenerationForm_VaeAndControlNetLists_ShowDisplayNameFamilyAndFileName()
    {
        using var models = new TestModelSettings();
        await models.SetAsync(ModelKind.Vaes, SdxlVae, "SDXL VAE (fp16 fix)", ModelFamily.Sdxl);
        await models.SetAsync(ModelKind.ControlNets, AdvancedCatalogue.ControlNet, "Canny edges", ModelFamily.Sd15);
        var limits = AdvancedCatalogue.Limits with { Advanced = AdvancedCatalogue.Limits.Advanced with { Vaes = [PlainVae, SdxlVae] } };
        var form = Render<GenerationForm>(p => p
            .Add(f => f.Model, new Txt2ImgFormModel { Prompt = "a lighthouse", Checkpoint = AdvancedCatalogue.Checkpoint })
            .Add(f => f.Limits, limits)
            .Add(f => f.Models, models.Settings)
            .Add(f => f.Results, _ => { }));

        form.Find("[data-testid=advanced-panel] .mud-expand-panel-header").Click();
        Assert.Equal(["The checkpoint's own", PlainVae, $"SDXL VAE (fp16 fix) SDXL {SdxlVae}"], OpenSelect(form, "vae"));
        Popovers.FindAll(".mud-popover-open .mud-list-item").Single(i => Shown(i).StartsWith("SDXL VAE", StringComparison.Ordinal)).Click();
        form.WaitForAssertion(() => Assert.Equal("SDXL VAE (fp16 fix)", form.Find("#vae").GetAttribute("value")));

        form.FindAll("button").Single(b => b.TextContent.Contains("Add ControlNet unit", StringComparison.Ordinal)).Click();
        // Click hands the event to the renderer's dispatcher and does not wait when it is busy (the VAE list's closing
        // may still be rendering there): the unit can appear after Click returns (seen once under load in CI), so wait
        // for it as for the VAE above.
        form.WaitForElement("#controlnet-model-1");
        Assert.Contains($"Canny edges SD 1.5 {AdvancedCatalogue.ControlNet}", OpenSelect(form, "controlnet-model-1"));
    }

    private static readonly ComfyGraph Graph = ComfyGraph.Parse("""
        {"4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "base.safetensors"}},
         "3": {"class_type": "KSampler", "inputs": {"sampler_name": "euler", "model": ["4", 0]}}}
        """);

    private static readonly ObjectInfo Info = CatalogueJson.Parse("""
        {"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [["base.safetensors", "secret.safetensors"]]}}, "output": ["MODEL"], "name": "CheckpointLoaderSimple", "output_node": false},
         "KSampler": {"input": {"required": {"sampler_name": [["euler", "dpmpp_2m"]]}}, "output": ["LATENT"], "name": "KSampler", "output_node": false}}
        """);

    private static WorkflowBinding Binding(string node, string input, BindingKind kind, string value) => new(node, input, kind, input, JsonValue.Create(value));

    [Fact]
    public void WorkflowRunField_LoaderList_LeavesOutHiddenModels_OtherListsAreKeptWhole()
    {
        static bool Hidden(string folder, string name) => folder == "checkpoints" && name == "secret.safetensors";

        var checkpoint = RunField.Create(Binding("4", "ckpt_name", BindingKind.Checkpoint, "base.safetensors"), Graph, Info, Hidden);
        var sampler = RunField.Create(Binding("3", "sampler_name", BindingKind.Sampler, "euler"), Graph, Info, Hidden);

        Assert.Equal(ModelKind.Checkpoints, checkpoint.ModelKind);
        Assert.Equal(["base.safetensors"], checkpoint.Choices);
        Assert.Null(sampler.ModelKind);
        Assert.Equal(["euler", "dpmpp_2m"], sampler.Choices);
    }

    [Fact]
    public async Task WorkflowRunField_ModelList_ShowsDisplayNamesAndFamilies()
    {
        using var models = new TestModelSettings();
        await models.SetAsync(ModelKind.Checkpoints, "secret.safetensors", "Juggernaut XL", ModelFamily.Sdxl);
        var field = RunField.Create(Binding("4", "ckpt_name", BindingKind.Checkpoint, "secret.safetensors"), Graph, Info);

        var rendered = Render<WorkflowRunField>(p => p.Add(f => f.Field, field).Add(f => f.Models, models.Settings));

        Assert.Equal("Juggernaut XL", rendered.Find($"#{field.Id}").GetAttribute("value"));
        Assert.Equal(["base.safetensors", "Juggernaut XL SDXL secret.safetensors"], OpenSelect(rendered, field.Id));
    }
}
