using System.Text.Json;
using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Tests.Domain;

public sealed class PromptValidatorTests
{
    private static readonly ObjectInfo Real = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

    private static string WorkflowDir => Path.Combine(TestPaths.TestData, "workflows");

    private static ComfyGraph Default() =>
        ComfyGraph.Parse(File.ReadAllText(Path.Combine(WorkflowDir, "comfyui_default_txt2img_api.json")));

    private static ComfyGraph Mutated(Action<ComfyGraph> mutate)
    {
        var g = Default();
        mutate(g);
        return g;
    }

    /// <summary>Named mutations of the default txt2img graph (3 KSampler, 4 checkpoint, 5 latent, 6/7 text, 8 decode, 9 save).</summary>
    private static readonly Dictionary<string, Action<ComfyGraph>> Mutations = new()
    {
        ["steps missing"] = g => g["3"].Inputs.Remove("steps"),
        ["link of three"] = g => g["3"].Set("model", new JsonArray("4", 0, 1)),
        ["clip into model"] = g => g["3"].Link("model", "4", 1),
        ["inner link to missing node"] = g => g["3"].Link("model", "99", 0),
        ["output link to missing node"] = g => g["9"].Link("images", "99", 0),
        ["numeric link id"] = g => g["9"].Set("images", new JsonArray(8, 0)),
        ["output index out of range"] = g => g["9"].Link("images", "8", 5),
        ["steps not an integer string"] = g => g["3"].Set("steps", "5.5"),
        ["cfg not a number"] = g => g["3"].Set("cfg", "abc"),
        ["steps zero"] = g => g["3"].Set("steps", 0),
        ["steps too many"] = g => g["3"].Set("steps", 10001),
        ["unknown checkpoint"] = g => g["4"].Set("ckpt_name", "x.safetensors"),
        ["sampler wrong case"] = g => g["3"].Set("sampler_name", "Euler"),
        ["seed 2^64"] = g => g["3"].Set("seed", JsonNode.Parse("18446744073709551616")),
        ["seed negative"] = g => g["3"].Set("seed", -1),
        ["seed as float above max"] = g => g["3"].Set("seed", JsonNode.Parse("1.8446744073709552e19")),
    };

    [Theory]
    [InlineData("steps missing", "3", "required_input_missing", "Required input is missing", "steps")]
    [InlineData("link of three", "3", "bad_linked_input", "Bad linked input, must be a length-2 list of [node_id, slot_index]", "model")]
    [InlineData("clip into model", "3", "return_type_mismatch", "Return type mismatch between linked nodes", "model, received_type(CLIP) mismatch input_type(MODEL)")]
    [InlineData("inner link to missing node", "3", "exception_during_inner_validation", "Exception when validating inner node", "'99'")]
    [InlineData("output link to missing node", "9", "exception_during_validation", "Exception when validating node", "'99'")]
    [InlineData("numeric link id", "9", "exception_during_validation", "Exception when validating node", "8")]
    [InlineData("output index out of range", "9", "exception_during_validation", "Exception when validating node", "tuple index out of range")]
    [InlineData("steps not an integer string", "3", "invalid_input_type", "Failed to convert an input value to a INT value", "steps, 5.5, invalid literal for int() with base 10: '5.5'")]
    [InlineData("cfg not a number", "3", "invalid_input_type", "Failed to convert an input value to a FLOAT value", "cfg, abc, could not convert string to float: 'abc'")]
    [InlineData("steps zero", "3", "value_smaller_than_min", "Value 0 smaller than min of 1", "steps")]
    [InlineData("steps too many", "3", "value_bigger_than_max", "Value 10001 bigger than max of 10000", "steps")]
    [InlineData("unknown checkpoint", "4", "value_not_in_list", "Value not in list", "ckpt_name: 'x.safetensors' not in ['sd3.5_medium.safetensors', 'sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly-fp16.safetensors', 'v1-5-pruned-emaonly.safetensors', 'v1-5-pruned-emaonly_fp16.safetensors', 'v1_5-pruned-emaonly-fp16.safetensors', 'v1_5-pruned-emaonly_fp16.safetensors']")]
    [InlineData("sampler wrong case", "3", "value_not_in_list", "Value not in list", "sampler_name: 'Euler' not in (list of length 42)")]
    [InlineData("seed 2^64", "3", "value_bigger_than_max", "Value 18446744073709551616 bigger than max of 18446744073709551615", "seed")]
    [InlineData("seed negative", "3", "value_smaller_than_min", "Value -1 smaller than min of 0", "seed")]
    [InlineData("seed as float above max", "3", "value_bigger_than_max", "Value 18446744073709551616 bigger than max of 18446744073709551615", "seed")]
    public void Validate_BrokenDefaultGraph_ReportsServerError(string mutation, string nodeId, string type, string message, string details)
    {
        var result = PromptValidator.Validate(Mutated(Mutations[mutation]), Real);

        Assert.False(result.IsValid);
        Assert.Equal("prompt_outputs_failed_validation", result.Error!.Type);
        Assert.Empty(result.GoodOutputs);
        var node = Assert.Single(result.NodeErrors).Value;
        Assert.Equal(nodeId, node.NodeId);
        Assert.Equal(["9"], node.DependentOutputs);
        var error = Assert.Single(node.Errors);
        Assert.Equal((type, message, details), (error.Type, error.Message, error.Details));
    }

    [Fact]
    public void Validate_ErrorOnOutputNode_ListsItInErrorDetails()
    {
        var result = PromptValidator.Validate(Mutated(g => g["9"].Link("images", "99", 0)), Real);

        Assert.Equal("Exception when validating node: '99'", result.Error!.Details);
    }

    [Fact]
    public void Validate_ErrorUpstreamOnly_ListsOnlyThatNode()
    {
        var result = PromptValidator.Validate(Mutated(g => g["4"].Set("ckpt_name", "x.safetensors")), Real);

        Assert.Equal(["4"], result.NodeErrors.Keys);
        Assert.Equal("CheckpointLoaderSimple", result.NodeErrors["4"].ClassType);
        Assert.Equal("ckpt_name", result.NodeErrors["4"].Errors[0].InputName);
    }

    [Fact]
    public void Validate_DefaultWorkflow_IsValid()
    {
        var result = PromptValidator.Validate(Default(), Real);

        Assert.True(result.IsValid);
        Assert.Empty(result.NodeErrors);
        Assert.Equal(["9"], result.GoodOutputs);
    }

    [Theory]
    [InlineData("comfyui_default_txt2img_api.json", "")]
    [InlineData("imagesmith_img2img_api.json", "14:ckpt_name")]
    [InlineData("kleer001_controlnet_depth_api.json", "33:control_net_name,34:ckpt_name")]
    [InlineData("kleer001_lora_basic_api.json", "10:lora_name,4:ckpt_name")]
    [InlineData("kleer001_upscale_esrgan_api.json", "4:ckpt_name")]
    public void Validate_RealWorkflow_FailsOnlyOnModelsTheDumpLacks(string file, string expected)
    {
        var graph = ComfyGraph.Parse(File.ReadAllText(Path.Combine(WorkflowDir, file)));

        var result = PromptValidator.Validate(graph, Real);

        var actual = result.NodeErrors.Values
            .SelectMany(n => n.Errors.Select(e => (n.NodeId, e)))
            .Select(x => { Assert.Equal("value_not_in_list", x.e.Type); return $"{x.NodeId}:{x.e.InputName}"; })
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, string.Join(',', actual));
        Assert.Equal(expected.Length == 0, result.IsValid);
    }

    [Fact]
    public void Validate_EveryWorkflowFile_IsCovered()
    {
        var files = Directory.GetFiles(WorkflowDir, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal);

        Assert.Equal(
            ["comfyui_default_txt2img_api.json", "imagesmith_img2img_api.json", "kleer001_controlnet_depth_api.json", "kleer001_lora_basic_api.json", "kleer001_upscale_esrgan_api.json"],
            files);
    }

    [Fact]
    public void Validate_NodeWithoutClassType_IsInvalidPrompt()
    {
        var result = PromptValidator.Validate(Mutated(g => g.Add("12", new ComfyNode(string.Empty))), Real);

        Assert.Equal(new ComfyError("invalid_prompt", "Cannot execute because a node is missing the class_type property.", "Node ID '#12'"), result.Error);
        Assert.Empty(result.NodeErrors);
    }

    [Fact]
    public void Validate_UnknownClassOnUnconnectedNode_IsInvalidPrompt()
    {
        var result = PromptValidator.Validate(Mutated(g => g.Add("12", new ComfyNode("NoSuchNode"))), Real);

        Assert.Equal(new ComfyError("invalid_prompt", "Cannot execute because node NoSuchNode does not exist.", "Node ID '#12'"), result.Error);
    }

    [Fact]
    public void Validate_NoOutputNode_IsPromptNoOutputs()
    {
        var result = PromptValidator.Validate(Mutated(g => g.Remove("9")), Real);

        Assert.Equal("prompt_no_outputs", result.Error!.Type);
        Assert.Equal("Prompt has no outputs", result.Error.Message);
    }

    [Theory]
    [InlineData("\"5\"")]
    [InlineData("5.7")]
    [InlineData("\" 12 \"")]
    [InlineData("true")]
    [InlineData("{\"__value__\": 20}")]
    public void Validate_StepsCoercibleByInt_Passes(string json)
    {
        var result = PromptValidator.Validate(Mutated(g => g["3"].Set("steps", JsonNode.Parse(json))), Real);

        Assert.True(result.IsValid, string.Join("; ", result.NodeErrors.Values.SelectMany(n => n.Errors).Select(e => e.Details)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("18446744073709551615")]
    [InlineData("9007199254740993")]
    public void Validate_SeedWithin64Bits_Passes(string seed)
    {
        var result = PromptValidator.Validate(Mutated(g => g["3"].Set("seed", JsonNode.Parse(seed))), Real);

        Assert.True(result.IsValid);
    }

    [Fact]
    public void Validate_CfgFloatBelowMin_PrintsPythonFloats()
    {
        var result = PromptValidator.Validate(Mutated(g => g["3"].Set("cfg", -0.5)), Real);

        Assert.Equal("Value -0.5 smaller than min of 0.0", result.NodeErrors["3"].Errors[0].Message);
    }

    [Fact]
    public void Validate_TwoOutputsOneBroken_IsValidWithNodeErrors()
    {
        var graph = Mutated(g => g.Add("10", new ComfyNode("SaveImage").Link("images", "8", 0)));

        var result = PromptValidator.Validate(graph, Real);

        Assert.True(result.IsValid);
        Assert.Null(result.Error);
        Assert.Equal(["9"], result.GoodOutputs);
        var node = Assert.Single(result.NodeErrors).Value;
        Assert.Equal(("10", "required_input_missing", "filename_prefix"), (node.NodeId, node.Errors[0].Type, node.Errors[0].InputName));
        Assert.Equal(["10"], node.DependentOutputs);
    }

    [Fact]
    public void Validate_SharedBrokenUpstream_ListsEveryDependentOutput()
    {
        var graph = Mutated(g =>
        {
            g.Add("10", new ComfyNode("SaveImage").Link("images", "8", 0).Set("filename_prefix", "b"));
            g["4"].Set("ckpt_name", "missing.safetensors");
        });

        var result = PromptValidator.Validate(graph, Real);

        Assert.False(result.IsValid);
        Assert.Equal(["9", "10"], result.NodeErrors["4"].DependentOutputs);
        Assert.Equal(string.Empty, result.Error!.Details);
    }

    [Fact]
    public void Validate_UnconnectedBrokenNode_IsNotValidated()
    {
        var graph = Mutated(g => g.Add("10", new ComfyNode("KSampler").Set("steps", 0)));

        Assert.True(PromptValidator.Validate(graph, Real).IsValid);
    }

    [Fact]
    public void Validate_LoadImageFileNotListed_IsLeftToTheServer()
    {
        var graph = Mutated(g =>
        {
            g.Add("10", new ComfyNode("LoadImage").Set("image", "sub/photo.png [output]"));
            g.Add("11", new ComfyNode("VAEEncode").Link("pixels", "10", 0).Link("vae", "4", 2));
            g["3"].Link("latent_image", "11", 0);
        });

        Assert.True(PromptValidator.Validate(graph, Real).IsValid);
    }

    [Fact]
    public void Validate_ComboTypeFormValueNotListed_IsNotChecked()
    {
        var graph = Mutated(g =>
        {
            g.Add("10", new ComfyNode("UpscaleModelLoader").Set("model_name", "nope.pth"));
            g.Add("11", new ComfyNode("ImageUpscaleWithModel").Link("upscale_model", "10", 0).Link("image", "8", 0));
            g["9"].Link("images", "11", 0);
        });

        var result = PromptValidator.Validate(graph, Real);

        Assert.Equal(InputKind.ComboType, Real.Nodes["UpscaleModelLoader"].Required["model_name"].Kind);
        Assert.True(result.IsValid);
    }

    [Theory]
    [InlineData("MODEL", "MODEL", true)]
    [InlineData("INT", "FLOAT,INT", true)]
    [InlineData("FLOAT, STRING", "INT,STRING", true)]
    [InlineData("*", "IMAGE", true)]
    [InlineData("LATENT", "*", true)]
    [InlineData("CLIP", "MODEL", false)]
    [InlineData("FLOAT", "INT,STRING", false)]
    public void TypesMatch_Pairs_FollowServerRules(string received, string input, bool expected)
    {
        var info = CatalogueJson.Parse($$$"""
            {"Src":{"input":{"required":{}},"output":["{{{received}}}"],"output_node":false},
             "Dst":{"input":{"required":{"x":["{{{input}}}"]}},"output":[],"output_node":true}}
            """);
        var graph = new ComfyGraph();
        graph.Add("1", new ComfyNode("Src"));
        graph.Add("2", new ComfyNode("Dst").Link("x", "1", 0));

        Assert.Equal(expected, PromptValidator.Validate(graph, info).IsValid);
    }

    [Fact]
    public void Describe_MissingCheckpoint_NamesNodeAndCount()
    {
        var result = PromptValidator.Validate(Mutated(g => g["4"].Set("ckpt_name", "x.safetensors")), Real);
        var node = result.NodeErrors["4"];

        Assert.Equal("Load Checkpoint › ckpt_name: 'x.safetensors' is not available on this server (it has 7 checkpoints).",
            ValidationMessages.Describe(node, node.Errors[0], Real));
    }

    [Fact]
    public void Describe_StepsZero_SaysBelowMinimum()
    {
        var result = PromptValidator.Validate(Mutated(g => g["3"].Set("steps", 0)), Real);
        var node = result.NodeErrors["3"];

        Assert.Equal("KSampler › steps: 0 is below the minimum of 1.", ValidationMessages.Describe(node, node.Errors[0], Real));
    }

    [Fact]
    public void Describe_ClipMissing_SaysNotConnectedWithTitle()
    {
        var graph = Mutated(g =>
        {
            g["6"].Inputs.Remove("clip");
            g["6"].Title = "Positive";
        });
        var result = PromptValidator.Validate(graph, Real);

        var lines = ValidationMessages.DescribeAll(result, Real, graph);

        Assert.Equal(["Positive (CLIP Text Encode (Prompt)) › clip is not connected."], lines);
        Assert.Equal("CLIP Text Encode (Prompt) › clip is not connected.", ValidationMessages.Describe(result.NodeErrors["6"], result.NodeErrors["6"].Errors[0], Real));
    }

    [Fact]
    public void Describe_WithoutObjectInfo_FallsBackToClassType()
    {
        var node = new ComfyNodeErrors("3", "KSampler", [new ComfyInputError("value_bigger_than_max", "Value 10001 bigger than max of 10000", "steps", "steps")], ["9"]);

        Assert.Equal("KSampler › steps: 10001 is above the maximum of 10000.", ValidationMessages.Describe(node, node.Errors[0]));
    }

    [Fact]
    public void FromServerResponse_ProtocolExample_ReadsErrorAndNodeErrors()
    {
        const string json = """
            {
              "error": { "type": "prompt_outputs_failed_validation",
                         "message": "Prompt outputs failed validation",
                         "details": "Value not in list: ckpt_name: 'x.safetensors' not in [...]\n...",
                         "extra_info": {} },
              "node_errors": {
                "4": {
                  "errors": [
                    { "type": "value_not_in_list",
                      "message": "Value not in list",
                      "details": "ckpt_name: 'x.safetensors' not in ['a.safetensors', 'b.safetensors']",
                      "extra_info": { "input_name": "ckpt_name",
                                      "input_config": [["a.safetensors","b.safetensors"], {"tooltip": "..."}],
                                      "received_value": "x.safetensors" } }
                  ],
                  "dependent_outputs": ["9"],
                  "class_type": "CheckpointLoaderSimple"
                }
              }
            }
            """;
        using var doc = JsonDocument.Parse(json);

        var result = PromptValidationResult.FromServerResponse(doc.RootElement);

        Assert.False(result.IsValid);
        Assert.Equal("prompt_outputs_failed_validation", result.Error!.Type);
        var node = result.NodeErrors["4"];
        Assert.Equal(("4", "CheckpointLoaderSimple"), (node.NodeId, node.ClassType));
        Assert.Equal(["9"], node.DependentOutputs);
        Assert.Equal(new ComfyInputError("value_not_in_list", "Value not in list", "ckpt_name: 'x.safetensors' not in ['a.safetensors', 'b.safetensors']", "ckpt_name"), node.Errors[0]);
        Assert.Equal("CheckpointLoaderSimple › ckpt_name: 'x.safetensors' is not available on this server (it has 2 checkpoints).",
            ValidationMessages.Describe(node, node.Errors[0]));
    }

    [Fact]
    public void FromServerResponse_OldNoPromptShape_ReadsStringErrorAndListNodeErrors()
    {
        using var doc = JsonDocument.Parse("""{"error":"no prompt","node_errors":[]}""");

        var result = PromptValidationResult.FromServerResponse(doc.RootElement);

        Assert.Equal(new ComfyError("no_prompt", "no prompt", string.Empty), result.Error);
        Assert.Empty(result.NodeErrors);
    }

    [Fact]
    public void FromServerResponse_SuccessWithWarnings_IsValid()
    {
        using var doc = JsonDocument.Parse("""{"prompt_id":"a","number":3,"node_errors":{"10":{"errors":[{"type":"required_input_missing"}],"class_type":"SaveImage"}}}""");

        var result = PromptValidationResult.FromServerResponse(doc.RootElement);

        Assert.True(result.IsValid);
        Assert.Equal("required_input_missing", result.NodeErrors["10"].Errors[0].Type);
        Assert.Empty(result.NodeErrors["10"].DependentOutputs);
    }
}
