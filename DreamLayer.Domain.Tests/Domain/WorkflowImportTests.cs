using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Workflows.Imported;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>Imported ComfyUI workflows: real API files and images ComfyUI saved, what is detected in each, and refusals.</summary>
public sealed class WorkflowImportTests
{
    private static readonly ObjectInfo Catalogue = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

    private static string WorkflowFile(string name) => Path.Combine(TestPaths.TestData, "workflows", name);

    private static string PngFile(string name) => Path.Combine(TestPaths.TestData, "comfyui-png", name);

    private const string Sampling = "Seed 3.seed|Steps 3.steps|Cfg 3.cfg|Sampler 3.sampler_name|Scheduler 3.scheduler|Denoise 3.denoise";

    /// <summary>Every shared file, with the fields a person expects to see, in form order ("Kind node.input").</summary>
    public static TheoryData<string, string> Cases() => new()
    {
        { WorkflowFile("comfyui_default_txt2img_api.json"),
            "Prompt 6.text|NegativePrompt 7.text|Checkpoint 4.ckpt_name|Width 5.width|Height 5.height|BatchSize 5.batch_size|" + Sampling },
        { WorkflowFile("imagesmith_img2img_api.json"),
            "Prompt 6.text|NegativePrompt 7.text|Image 10.image|Checkpoint 14.ckpt_name|" + Sampling },
        { WorkflowFile("kleer001_controlnet_depth_api.json"),
            "Prompt 24.text|NegativePrompt 7.text|Image 20.image|Checkpoint 34.ckpt_name|Width 5.width|Height 5.height|BatchSize 5.batch_size|" + Sampling },
        { WorkflowFile("kleer001_lora_basic_api.json"),
            "Prompt 6.text|NegativePrompt 7.text|Checkpoint 4.ckpt_name|Lora 10.lora_name|LoraStrength 10.strength_model|LoraStrength 10.strength_clip|" +
            "Width 5.width|Height 5.height|BatchSize 5.batch_size|" + Sampling },
        { WorkflowFile("kleer001_upscale_esrgan_api.json"),
            "Prompt 6.text|NegativePrompt 7.text|Checkpoint 4.ckpt_name|Width 5.width|Height 5.height|BatchSize 5.batch_size|" + Sampling },
        { PngFile("img2img_workflow.png"),
            "Prompt 6.text|NegativePrompt 7.text|Image 10.image|Checkpoint 14.ckpt_name|" + Sampling },
        { PngFile("lora.png"),
            "Prompt 6.text|NegativePrompt 7.text|Checkpoint 4.ckpt_name|Lora 10.lora_name|LoraStrength 10.strength_model|LoraStrength 10.strength_clip|" +
            "Width 5.width|Height 5.height|BatchSize 5.batch_size|" + Sampling },
        // Base + refiner: both samplers' encoders; only the first sampler adds noise, so only its seed is a field.
        { PngFile("sdxl_simple_example.png"),
            "Prompt 6.text|Prompt 15.text|NegativePrompt 7.text|NegativePrompt 16.text|Checkpoint 4.ckpt_name|Checkpoint 12.ckpt_name|" +
            "Width 5.width|Height 5.height|BatchSize 5.batch_size|Seed 10.noise_seed|Steps 10.steps|Steps 11.steps|Cfg 10.cfg|Cfg 11.cfg|" +
            "Sampler 10.sampler_name|Sampler 11.sampler_name|Scheduler 10.scheduler|Scheduler 11.scheduler" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Import_SharedFile_DetectsTheExpectedFields(string path, string expected)
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(path));

        Assert.Equal(expected.Split('|'), imported.Bindings.Select(b => $"{b.Kind} {b.Node}.{b.Input}"));
        Assert.Empty(imported.Problems);
        foreach (var binding in imported.Bindings)
        {
            Assert.Equal(imported.Graph[binding.Node].Inputs[binding.Input]!.ToJsonString(), binding.Default!.ToJsonString());
            Assert.False(string.IsNullOrWhiteSpace(binding.Label));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Check_SharedFileAgainstTheRealCatalogue_OnlyMissingModelsStopIt(string path, string expected)
    {
        _ = expected;
        var imported = WorkflowImporter.Import(File.ReadAllBytes(path));

        var report = WorkflowCompatibility.Check(imported.Graph, Catalogue);

        // The authors' model and image files are not on this server; nothing else is wrong.
        Assert.All(report.Errors, e => Assert.Matches("(ckpt_name|lora_name|control_net_name|model_name|image).*not available on this server", e));
    }

    [Fact]
    public void Import_SdxlImage_LabelsRepeatedFieldsWithTheirNode()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(PngFile("sdxl_simple_example.png")));

        var prompts = imported.Bindings.Where(b => b.Kind == BindingKind.Prompt).Select(b => b.Label);
        Assert.Equal(["Prompt · CLIPTextEncode (#6)", "Prompt · CLIPTextEncode (#15)"], prompts);
        var seed = Assert.Single(imported.Bindings, b => b.Kind == BindingKind.Seed);
        Assert.Equal("Seed", seed.Label);
        Assert.Equal("721897303308196", seed.Default!.ToJsonString());
    }

    [Fact]
    public void Import_ExportWithTitles_UsesTheTitlesInRepeatedLabels()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(WorkflowFile("imagesmith_img2img_api.json")));

        Assert.Equal("photograph of victorian woman with wings, sky clouds, meadow grass\n", imported.Bindings[0].Default!.GetValue<string>());
        Assert.Equal("CLIP Text Encode (Prompt) (CLIPTextEncode #6)", WorkflowImporter.Describe(imported.Graph, "6"));
    }

    [Fact]
    public void Import_UiFormatWorkflowFromAnImage_IsRefusedWithHowToExportTheApiFormat()
    {
        var uiFormat = PngTextChunks.Find(File.ReadAllBytes(PngFile("lora.png")), "workflow")!;

        var ex = Assert.Throws<ComfyGraphFormatException>(() => WorkflowImporter.FromJson(uiFormat));

        Assert.Contains("UI-format", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Export (API)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Save (API)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Dev mode", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1, 2]", "not an API-format workflow")]
    [InlineData("{\"3\": {\"inputs\": {}}}", "not an API-format workflow")]
    [InlineData("{}", "has no nodes")]
    [InlineData("{\"3\": ", "not valid JSON")]
    [InlineData("plain text", "not valid JSON")]
    public void Import_NotAWorkflow_SaysWhy(string content, string expected)
    {
        var ex = Assert.Throws<ComfyGraphFormatException>(() => WorkflowImporter.Import(System.Text.Encoding.UTF8.GetBytes(content)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_PngWithoutAPrompt_SaysOnlyComfyUiImagesCarryOne()
    {
        var png = File.ReadAllBytes(Path.Combine(TestPaths.TestData, "metadata", "a1111.png"));
        var ex = Assert.Throws<ComfyGraphFormatException>(() => WorkflowImporter.Import(png));
        Assert.Contains("no ComfyUI workflow", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_NodeIdsThatAreNotNumbers_AreTracedAndKept()
    {
        var json = File.ReadAllText(WorkflowFile("comfyui_default_txt2img_api.json"));
        foreach (var (from, to) in new[] { ("3", "sampler:main"), ("4", "ckpt"), ("5", "latent"), ("6", "pos.text"), ("7", "neg"), ("8", "decode"), ("9", "save") })
        {
            json = json.Replace($"\"{from}\"", $"\"{to}\"", StringComparison.Ordinal);
        }

        var imported = WorkflowImporter.FromJson(json);

        Assert.Equal(
            ["Prompt pos.text.text", "NegativePrompt neg.text", "Checkpoint ckpt.ckpt_name", "Width latent.width", "Height latent.height", "BatchSize latent.batch_size",
             "Seed sampler:main.seed", "Steps sampler:main.steps", "Cfg sampler:main.cfg", "Sampler sampler:main.sampler_name", "Scheduler sampler:main.scheduler", "Denoise sampler:main.denoise"],
            imported.Bindings.Select(b => $"{b.Kind} {b.Node}.{b.Input}"));
        Assert.Equal(["save"], imported.Graph.OutputNodeIds(Catalogue));
        Assert.True(WorkflowCompatibility.Check(imported.Graph, Catalogue).Errors.All(e => e.Contains("ckpt_name", StringComparison.Ordinal)));
    }

    [Fact]
    public void Import_ConditioningThroughCombineAndConcat_FindsEveryEncoder()
    {
        var graph = Default();
        graph.Add("20", new ComfyNode("CLIPTextEncode").Set("text", "style words").Link("clip", "4", 1));
        graph.Add("21", new ComfyNode("ConditioningCombine").Link("conditioning_1", "6", 0).Link("conditioning_2", "20", 0));
        graph.Add("22", new ComfyNode("CLIPTextEncode").Set("text", "more negative").Link("clip", "4", 1));
        graph.Add("23", new ComfyNode("ConditioningConcat").Link("conditioning_to", "7", 0).Link("conditioning_from", "22", 0));
        graph["3"].Link("positive", "21", 0).Link("negative", "23", 0);

        var imported = WorkflowImporter.Analyse(graph);

        Assert.Equal(["6", "20"], imported.Bindings.Where(b => b.Kind == BindingKind.Prompt).Select(b => b.Node));
        Assert.Equal(["7", "22"], imported.Bindings.Where(b => b.Kind == BindingKind.NegativePrompt).Select(b => b.Node));
    }

    [Fact]
    public void Import_LinkToAMissingNode_IsReportedWithTheNodeAndInput()
    {
        var graph = Default();
        graph["8"].Link("vae", "99", 2);

        var imported = WorkflowImporter.Analyse(graph);
        var report = WorkflowCompatibility.Check(graph, Catalogue);

        Assert.Equal(["VAEDecode (#8) › vae is linked to node #99, which is not in the workflow."], imported.Problems);
        Assert.Contains("VAEDecode (#8) › vae is linked to node #99, which is not in the workflow.", report.Errors);
    }

    [Fact]
    public void Check_NodeTheServerLacks_NamesTheNodeAndItsType()
    {
        var graph = WithInstalledModel(Default());
        graph.Add("30", new ComfyNode("FaceDetailerPipe", [], "Fix faces").Link("image", "8", 0));

        var report = WorkflowCompatibility.Check(graph, Catalogue, "gpu-box");

        var error = Assert.Single(report.Errors);
        Assert.Equal("Fix faces (FaceDetailerPipe #30): gpu-box has no node type 'FaceDetailerPipe' (a custom node that is not installed there, or a newer ComfyUI).", error);
    }

    [Fact]
    public void Check_NodeTheServerLacksAndAModelItLacks_NamesBoth()
    {
        var graph = Default();
        graph["4"].Set("ckpt_name", "someone-elses-model.safetensors");
        graph.Add("30", new ComfyNode("FaceDetailerPipe", [], "Fix faces").Link("image", "8", 0));

        var report = WorkflowCompatibility.Check(graph, Catalogue, "gpu-box");

        Assert.Equal(2, report.Errors.Count);
        Assert.Equal("Fix faces (FaceDetailerPipe #30): gpu-box has no node type 'FaceDetailerPipe' (a custom node that is not installed there, or a newer ComfyUI).", report.Errors[0]);
        Assert.StartsWith("Load Checkpoint › ckpt_name: 'someone-elses-model.safetensors' is not available on this server (it has ", report.Errors[1], StringComparison.Ordinal);
        Assert.False(report.CanRun);
    }

    [Fact]
    public void Check_EveryClassOfProblemAtOnce_NamesEachOnceWithoutKnockOnErrors()
    {
        // The only output node is a custom one the server lacks: what the server knows is still checked (the checkpoint
        // and the VAE it lacks), and inputs cut off by a missing node or link get no extra "not connected" lines.
        var graph = Default();
        graph["4"].Set("ckpt_name", "someone-elses-model.safetensors");
        graph.Remove("9");
        graph.Add("9", new ComfyNode("SaveImageExtended", [], "Save").Set("filename_prefix", "x").Link("images", "8", 0));
        graph.Add("40", new ComfyNode("VAELoader").Set("vae_name", "missing-vae.safetensors"));
        graph["8"].Link("vae", "40", 0);
        graph["3"].Inputs.Remove("steps");
        graph["3"].Set("cfg_rescale", 0.7);
        graph["7"].Link("clip", "99", 1);

        var report = WorkflowCompatibility.Check(graph, Catalogue);

        Assert.Equal(
            [
                "KSampler (#3) › steps: this server requires this input and the workflow does not set it (the workflow was made for another ComfyUI version).",
                "CLIPTextEncode (#7) › clip is linked to node #99, which is not in the workflow.",
                "Save (SaveImageExtended #9): this server has no node type 'SaveImageExtended' (a custom node that is not installed there, or a newer ComfyUI).",
            ],
            report.Errors.Take(3));
        Assert.Equal(2, report.Errors.Count(e => e.Contains("is not available on this server", StringComparison.Ordinal)));
        Assert.Contains(report.Errors, e => e.StartsWith("Load Checkpoint › ckpt_name: 'someone-elses-model.safetensors' is not available", StringComparison.Ordinal));
        Assert.Contains(report.Errors, e => e.StartsWith("Load VAE › vae_name: 'missing-vae.safetensors' is not available", StringComparison.Ordinal));
        Assert.Equal(5, report.Errors.Count);
        Assert.Equal(["KSampler (#3) › cfg_rescale: this server does not know this input and will ignore it."], report.Notes);
    }

    [Fact]
    public void Check_InputANewerServerRequires_IsAnErrorNamingTheInput()
    {
        var root = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!;
        root["KSampler"]!["input"]!["required"]!["noise_mode"] = new JsonArray(new JsonArray("gpu", "cpu"), new JsonObject());
        var newer = CatalogueJson.Parse(root.ToJsonString());

        var report = WorkflowCompatibility.Check(WithInstalledModel(Default()), newer);

        Assert.Equal(["KSampler (#3) › noise_mode: this server requires this input and the workflow does not set it (the workflow was made for another ComfyUI version)."], report.Errors);
    }

    [Fact]
    public void Check_InputAnOlderServerDoesNotKnow_IsANoteNotAnError()
    {
        var graph = WithInstalledModel(Default());
        graph["3"].Set("cfg_rescale", 0.7);

        var report = WorkflowCompatibility.Check(graph, Catalogue);

        Assert.True(report.CanRun);
        Assert.Equal(["KSampler (#3) › cfg_rescale: this server does not know this input and will ignore it."], report.Notes);
    }

    [Fact]
    public void Check_ModelNotInstalled_NamesTheNodeAndInput()
    {
        var graph = Default();
        graph["4"].Set("ckpt_name", "someone-elses-model.safetensors");

        var report = WorkflowCompatibility.Check(graph, Catalogue);

        var error = Assert.Single(report.Errors);
        Assert.StartsWith("Load Checkpoint › ckpt_name: 'someone-elses-model.safetensors' is not available on this server (it has ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SeveralOutputNodes_AllAreOutputsAndItCanRun()
    {
        var graph = WithInstalledModel(Default());
        graph.Add("10", new ComfyNode("PreviewImage").Link("images", "8", 0));
        graph.Add("11", new ComfyNode("ImageScaleBy").Set("upscale_method", "bicubic").Set("scale_by", 2.0).Link("image", "8", 0));
        graph.Add("save-big", new ComfyNode("SaveImage").Set("filename_prefix", "big").Link("images", "11", 0));

        var report = WorkflowCompatibility.Check(graph, Catalogue);

        Assert.True(report.CanRun, string.Join(" ", report.Errors));
        Assert.Equal(["10", "9", "save-big"], graph.OutputNodeIds(Catalogue).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Apply_EachBinding_ChangesExactlyItsInput()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(WorkflowFile("kleer001_lora_basic_api.json")));
        var original = imported.Graph.ToJsonString();

        foreach (var binding in imported.Bindings)
        {
            JsonNode value = binding.Default is JsonValue v && v.TryGetValue<string>(out var s) ? JsonValue.Create(s + "-changed") : JsonValue.Create(7);
            var graph = WorkflowRun.Apply(imported.Graph, imported.Bindings, [new WorkflowValue(binding.Node, binding.Input, value)]);

            Assert.Equal(value.ToJsonString(), graph[binding.Node].Inputs[binding.Input]!.ToJsonString());
            graph[binding.Node].Inputs[binding.Input] = binding.Default!.DeepClone();
            Assert.Equal(original, graph.ToJsonString());
        }
        Assert.Equal(original, imported.Graph.ToJsonString());
    }

    [Fact]
    public void Apply_HiddenBindingOrNoValue_KeepsTheDefault()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(WorkflowFile("comfyui_default_txt2img_api.json")));
        var bindings = imported.Bindings
            .Select(b => b.Kind == BindingKind.Steps ? b with { Hidden = true } : b.Kind == BindingKind.Cfg ? b with { Default = JsonValue.Create(4.5) } : b)
            .ToList();

        var graph = WorkflowRun.Apply(imported.Graph, bindings, [new WorkflowValue("3", "steps", JsonValue.Create(99))]);

        Assert.Equal("20", graph["3"].Inputs["steps"]!.ToJsonString());
        Assert.Equal("4.5", graph["3"].Inputs["cfg"]!.ToJsonString());
    }

    [Fact]
    public void Finish_PutsTheJobSeedAndTheServersImageNamesIn()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(WorkflowFile("imagesmith_img2img_api.json")));
        var upload = Guid.NewGuid();
        var spec = new WorkflowRunSpec(Guid.NewGuid(), "img2img", imported.Graph.ToJsonString(),
            [new DreamLayer.Domain.Workflows.InputBinding("3", "seed")], [new WorkflowImageInput("10", "image", upload)]);

        var graph = WorkflowRun.Finish(spec, ulong.MaxValue, new Dictionary<Guid, string> { [upload] = "dreamlayer/job/photo.png" });

        Assert.Equal("18446744073709551615", graph["3"].Inputs["seed"]!.ToJsonString());
        Assert.Equal("dreamlayer/job/photo.png", graph["10"].Inputs["image"]!.GetValue<string>());
    }

    [Fact]
    public void SeedMax_IsTheSmallestLimitTheSeedInputsDeclare()
    {
        var graph = ComfyGraph.Parse("""
            {"1": {"class_type": "OpenAIGPTImage1", "inputs": {"prompt": "a sign", "seed": 7}},
             "2": {"class_type": "KSampler", "inputs": {"seed": 7}},
             "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0]}}}
            """);
        var catalogue = AdvancedCatalogue.Catalogue;
        DreamLayer.Domain.Workflows.InputBinding Seed(string node) => new(node, "seed");

        Assert.Equal(2147483647UL, WorkflowRun.SeedMax(graph, [Seed("1"), Seed("2")], catalogue)); // an API node's seed
        Assert.Null(WorkflowRun.SeedMax(graph, [Seed("2")], catalogue)); // KSampler takes the whole 64-bit range
        Assert.Null(WorkflowRun.SeedMax(graph, [Seed("9")], catalogue)); // not in the graph
        Assert.Null(WorkflowRun.SeedMax(graph, [Seed("1")], ObjectInfo.Empty)); // a server that does not list the node
    }

    [Fact]
    public void Bindings_SerializeAndReadBack_Unchanged()
    {
        var imported = WorkflowImporter.Import(File.ReadAllBytes(PngFile("sdxl_simple_example.png")));
        var edited = imported.Bindings.Select((b, i) => i == 0 ? b with { Label = "Scene", Hidden = false } : i == 1 ? b with { Hidden = true } : b).ToList();

        var back = WorkflowBinding.Deserialize(WorkflowBinding.Serialize(edited));

        Assert.Equal(edited.Select(b => (b.Node, b.Input, b.Kind, b.Label, b.Hidden, b.Default?.ToJsonString())),
            back.Select(b => (b.Node, b.Input, b.Kind, b.Label, b.Hidden, b.Default?.ToJsonString())));
    }

    private static ComfyGraph Default() => ComfyGraph.Parse(File.ReadAllText(WorkflowFile("comfyui_default_txt2img_api.json")));

    private static ComfyGraph WithInstalledModel(ComfyGraph graph)
    {
        graph["4"].Set("ckpt_name", Catalogue.ComboValues("CheckpointLoaderSimple", "ckpt_name")[0]);
        return graph;
    }
}
