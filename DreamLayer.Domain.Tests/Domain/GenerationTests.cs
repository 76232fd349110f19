using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Tests.Domain;

public sealed class GenerationTests
{
    private static readonly ObjectInfo Real = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));
    private static readonly GenerationLimits Limits = GenerationLimits.From(Real);

    private static WorkflowTemplate Txt2Img() => WorkflowTemplate.Parse(
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "workflow.json")),
        File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "manifest.json")));

    private static GenerationRequest Valid() => new()
    {
        Prompt = "a castle",
        Checkpoint = "v1-5-pruned-emaonly.safetensors",
        Sampler = "dpmpp_2m",
        Scheduler = "karras",
    };

    [Fact]
    public void Limits_FromRealServer_ReadListsAndRanges()
    {
        Assert.Contains("v1-5-pruned-emaonly.safetensors", Limits.Checkpoints);
        Assert.Equal(42, Limits.Samplers.Count);
        Assert.Equal("simple", Limits.Schedulers[0]);
        Assert.Equal((1, 10000), (Limits.MinSteps, Limits.MaxSteps));
        Assert.Equal((16, 16384, 8), (Limits.MinSize, Limits.MaxSize, Limits.SizeStep));
    }

    [Fact]
    public void Validate_ValidRequest_HasNoErrors() => Assert.Empty(GenerationRequestValidator.Validate(Valid(), Limits));

    public static TheoryData<GenerationRequest, string, string> InvalidRequests => new()
    {
        { Valid() with { Prompt = "  " }, "Prompt", "Write a prompt" },
        { Valid() with { Steps = 0 }, "Steps", "between 1 and 10000" },
        { Valid() with { Cfg = 101 }, "Cfg", "between 0 and 100" },
        { Valid() with { Cfg = double.NaN }, "Cfg", "must be a number" },
        { Valid() with { Width = 513 }, "Width", "multiple of 8 (for example 512 or 520)" },
        { Valid() with { Height = 8 }, "Height", "between 16 and 16384" },
        { Valid() with { BatchSize = 0 }, "BatchSize", "between 1 and 64" },
        { Valid() with { BatchCount = 101 }, "BatchCount", "between 1 and 100" },
        { Valid() with { Checkpoint = "nope.ckpt" }, "Checkpoint", "no checkpoint named 'nope.ckpt'" },
        { Valid() with { Sampler = "Euler a" }, "Sampler", "no sampler named 'Euler a'" },
        { Valid() with { Scheduler = "Karras" }, "Scheduler", "no scheduler named 'Karras'" },
        { Valid() with { SeedMode = SeedMode.Fixed, Seed = null }, "Seed", "Enter a seed" },
    };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void Validate_InvalidField_NamesFieldAndRule(GenerationRequest request, string field, string message)
    {
        var error = Assert.Single(GenerationRequestValidator.Validate(request, Limits));
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ServerWithOtherLists_AcceptsWhatThatServerHas()
    {
        // An older server: array-form combos only, a short sampler list, the old scheduler order, a subfolder model.
        const string json = """
            {"CheckpointLoaderSimple":{"input":{"required":{"ckpt_name":[["SDXL\\base.safetensors"]]}},"output":["MODEL","CLIP","VAE"],"output_node":false},
             "KSampler":{"input":{"required":{"sampler_name":[["euler","lms"]],"scheduler":[["normal","karras"]],"steps":["INT",{"default":20,"min":1,"max":150}]}},"output":["LATENT"],"output_node":false}}
            """;
        var limits = GenerationLimits.From(CatalogueJson.Parse(json));
        var request = Valid() with { Checkpoint = "SDXL\\base.safetensors", Sampler = "lms", Scheduler = "normal" };
        Assert.Empty(GenerationRequestValidator.Validate(request, limits));
        Assert.Single(GenerationRequestValidator.Validate(request with { Steps = 151 }, limits));
        Assert.Single(GenerationRequestValidator.Validate(request with { Sampler = "dpmpp_2m" }, limits));
    }

    [Fact]
    public void Seeds_FixedAtTopOfRange_StayExactAndWrap()
    {
        var seeds = SeedPolicy.Resolve(SeedMode.Fixed, ulong.MaxValue - 1, null, 3, new Random(1));
        Assert.Equal([ulong.MaxValue - 1, ulong.MaxValue, 0UL], seeds);
    }

    [Fact]
    public void Seeds_Random_AreDistinctAndJsonSafe()
    {
        var seeds = SeedPolicy.Resolve(SeedMode.Random, null, null, 50, new Random(7));
        Assert.Equal(50, seeds.Distinct().Count());
        Assert.All(seeds, s => Assert.True(s <= SeedPolicy.MaxRandomSeed));
    }

    [Fact]
    public void Seeds_Random_StayWithinTheLimitOfTheInputsTheyGoTo()
    {
        var seeds = SeedPolicy.Resolve(SeedMode.Random, null, null, 200, new Random(7), max: 2147483647);
        Assert.All(seeds, s => Assert.InRange(s, 0UL, 2147483647UL));
        Assert.Contains(seeds, s => s > 1UL << 30); // the whole range is used, not a corner of it
        Assert.All(SeedPolicy.Resolve(SeedMode.Random, null, null, 20, new Random(7), max: ulong.MaxValue), s => Assert.True(s <= SeedPolicy.MaxRandomSeed));
        Assert.All(SeedPolicy.Resolve(SeedMode.Random, null, null, 5, new Random(7), max: 0), s => Assert.Equal(0UL, s));
    }

    [Fact]
    public void Seeds_ReuseLast_StartsFromLastSeed_OrRandomWhenNone()
    {
        Assert.Equal([42UL, 43UL], SeedPolicy.Resolve(SeedMode.ReuseLast, null, 42, 2, new Random(1)));
        Assert.Single(SeedPolicy.Resolve(SeedMode.ReuseLast, null, null, 1, new Random(1)));
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(9007199254740993UL)] // 2^53 + 1: lost by a double
    [InlineData(18446744073709551615UL)]
    public void Build_Txt2Img_PassesComfyValidationWithExactSeed(ulong seed)
    {
        var request = Valid() with { NegativePrompt = "lowres", Width = 768, Height = 1024, Steps = 30, Cfg = 5.5, BatchSize = 3 };
        var graph = WorkflowBuilder.Build(Txt2Img(), request, seed);

        var result = PromptValidator.Validate(graph, Real);

        Assert.True(result.IsValid, string.Join("; ", ValidationMessages.DescribeAll(result, Real, graph)));
        Assert.Empty(result.NodeErrors);
        var json = graph.ToJsonString();
        Assert.Contains($"\"seed\":{seed}", json, StringComparison.Ordinal);
        Assert.Equal("a castle", graph["6"].Inputs["text"]!.GetValue<string>());
        Assert.Equal("lowres", graph["7"].Inputs["text"]!.GetValue<string>());
        Assert.Equal(768, graph["5"].Inputs["width"]!.GetValue<int>());
        Assert.Equal(1024, graph["5"].Inputs["height"]!.GetValue<int>());
        Assert.Equal(3, graph["5"].Inputs["batch_size"]!.GetValue<int>());
        Assert.Equal(30, graph["3"].Inputs["steps"]!.GetValue<int>());
        Assert.Equal(5.5, graph["3"].Inputs["cfg"]!.GetValue<double>());
        Assert.Equal("dpmpp_2m", graph["3"].Inputs["sampler_name"]!.GetValue<string>());
        Assert.Equal("karras", graph["3"].Inputs["scheduler"]!.GetValue<string>());
    }

    [Fact]
    public void Build_ModelNameWithSubfolder_PassesThroughExactly()
    {
        var graph = WorkflowBuilder.Build(Txt2Img(), Valid() with { Checkpoint = "SDXL\\juggernaut v9.safetensors" }, 1);
        Assert.Equal("SDXL\\juggernaut v9.safetensors", graph["4"].Inputs["ckpt_name"]!.GetValue<string>());
        Assert.Contains("\"ckpt_name\":\"SDXL\\\\juggernaut v9.safetensors\"", graph.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_DoesNotChangeTheTemplate()
    {
        var template = Txt2Img();
        WorkflowBuilder.Build(template, Valid() with { Prompt = "changed" }, 5);
        Assert.Equal(string.Empty, template.CreateGraph()["6"].Inputs["text"]!.GetValue<string>());
    }

    [Fact]
    public void ParseTemplate_BindingToMissingInput_IsRejected()
    {
        var graph = File.ReadAllText(Path.Combine(TestPaths.Workflows, "txt2img", "workflow.json"));
        const string manifest = """{"name":"broken","output":"9","bindings":{"seed":[{"node":"3","input":"noise_seed"}]}}""";
        var ex = Assert.Throws<ComfyGraphFormatException>(() => WorkflowTemplate.Parse(graph, manifest));
        Assert.Contains("3.noise_seed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseGraph_UiFormatWorkflow_SaysHowToExportApiFormat()
    {
        var ex = Assert.Throws<ComfyGraphFormatException>(() => ComfyGraph.Parse("""{"nodes":[],"links":[],"version":0.4}"""));
        Assert.Contains("Export (API)", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(JobStatus.Queued, JobStatus.Submitted, true)]
    [InlineData(JobStatus.Submitted, JobStatus.Running, true)]
    [InlineData(JobStatus.Running, JobStatus.Succeeded, true)]
    [InlineData(JobStatus.Running, JobStatus.Queued, true)]
    [InlineData(JobStatus.Succeeded, JobStatus.Running, false)]
    [InlineData(JobStatus.Cancelled, JobStatus.Queued, false)]
    [InlineData(JobStatus.Queued, JobStatus.Succeeded, false)]
    public void JobStatus_Transitions_FollowTheStateMachine(JobStatus from, JobStatus to, bool allowed) =>
        Assert.Equal(allowed, from.CanMoveTo(to));
}
