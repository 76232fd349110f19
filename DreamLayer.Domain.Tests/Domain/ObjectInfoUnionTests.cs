using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>The catalogue of several servers as one: what the ComfyUI-compatible face validates against and serves.</summary>
public sealed class ObjectInfoUnionTests
{
    private static readonly ObjectInfo Real = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

    [Fact]
    public void Union_HasEveryServersNodes_AndJoinsTheValuesOfBothComboForms()
    {
        var first = CatalogueJson.Parse("""
            {"CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["a.safetensors","b.safetensors"],{"tooltip":"t"}]}},"output":["MODEL","CLIP","VAE"],"output_node":false},
             "UpscaleModelLoader":{"input":{"required":{"model_name":["COMBO",{"options":["2x.pth"]}]}},"output":["UPSCALE_MODEL"]}}
            """);
        var second = CatalogueJson.Parse("""
            {"CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["b.safetensors","c.safetensors"]]},"optional":{"extra":["INT",{"min":0}]}},"output":["MODEL","CLIP","VAE"]},
             "UpscaleModelLoader":{"input":{"required":{"model_name":["COMBO",{"options":["4x.pth","2x.pth"]}]}},"output":["UPSCALE_MODEL"]},
             "OnlyHere":{"input":{"required":{}},"output":["IMAGE"],"output_node":true}}
            """);

        var json = ObjectInfoUnion.Json([first, second]);
        var union = ObjectInfoUnion.Parse(json);

        Assert.Equal(["a.safetensors", "b.safetensors", "c.safetensors"], union.ComboValues("CheckpointLoaderSimple", "ckpt_name"));
        Assert.Equal(["2x.pth", "4x.pth"], union.ComboValues("UpscaleModelLoader", "model_name"));
        Assert.True(union.Nodes["OnlyHere"].IsOutputNode);
        Assert.True(union.Nodes["CheckpointLoaderSimple"].TryGetInput("extra", out _)); // declared only by the second server
        Assert.Equal("t", json["CheckpointLoaderSimple"]!["input"]!["required"]!["ckpt_name"]![1]!["tooltip"]!.GetValue<string>()); // the first server's description
    }

    [Fact]
    public void Union_OfOneRealCatalogue_IsThatCatalogue_AndValidatesAsIt()
    {
        var union = ObjectInfoUnion.Parse(ObjectInfoUnion.Json([Real]));

        Assert.Equal(Real.Nodes.Keys.Order(StringComparer.Ordinal), union.Nodes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Real.ComboValues("KSampler", "sampler_name"), union.ComboValues("KSampler", "sampler_name"));
        var graph = ComfyGraph.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", "comfyui_default_txt2img_api.json"))));
        Assert.Equal(PromptValidator.Validate(graph, Real).IsValid, PromptValidator.Validate(graph, union).IsValid);
    }

    [Fact]
    public void Union_OfNothing_IsEmpty()
    {
        Assert.Empty(ObjectInfoUnion.Parse(ObjectInfoUnion.Json([])).Nodes);
    }
}
