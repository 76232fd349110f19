using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>A server's catalogue with LoRAs, a ControlNet model, a refiner and an upscale model to choose from.</summary>
public static class AdvancedCatalogue
{
    public const string Lora1 = "detail/add_detail.safetensors";
    public const string Lora2 = "Style_Ink.safetensors";
    public const string ControlNet = "control_v11p_sd15_canny.safetensors";
    public const string Refiner = "sd_xl_refiner_1.0.safetensors";
    public const string UpscaleModel = "4x-UltraSharp.pth";
    public const string Checkpoint = "v1-5-pruned-emaonly.safetensors";

    /// <summary>The real object_info with the model files these tests use added to its lists, and one comfyui_controlnet_aux node.</summary>
    public static ObjectInfo Catalogue { get; } = BuildCatalogue();

    public static GenerationLimits Limits { get; } = GenerationLimits.From(Catalogue);

    private static ObjectInfo BuildCatalogue()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!;
        void Inject(string node, string input, params string[] names)
        {
            var spec = root[node]!["input"]!["required"]![input]!.AsArray();
            var list = spec[0] is JsonArray array ? array : spec[1]!["options"]!.AsArray();
            foreach (var name in names)
            {
                list.Add(name);
            }
        }
        Inject("LoraLoader", "lora_name", Lora1, Lora2, "other/add_detail.ckpt");
        Inject("ControlNetLoader", "control_net_name", ControlNet);
        Inject("CheckpointLoaderSimple", "ckpt_name", Refiner);
        Inject("UpscaleModelLoader", "model_name", UpscaleModel);
        root["LineArtPreprocessor"] = JsonNode.Parse("""
            {"input": {"required": {"image": ["IMAGE"]}, "optional": {"coarse": [["disable", "enable"], {"default": "disable"}],
             "resolution": ["INT", {"default": 512, "min": 64, "max": 16384, "step": 64}]}},
             "output": ["IMAGE"], "output_is_list": [false], "output_name": ["IMAGE"], "name": "LineArtPreprocessor",
             "display_name": "Realistic Lineart", "category": "ControlNet Preprocessors/Line Extractors", "output_node": false}
            """);
        return CatalogueJson.Parse(root.ToJsonString());
    }
}
