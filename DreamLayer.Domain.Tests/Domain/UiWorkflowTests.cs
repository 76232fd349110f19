using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Metadata;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// The UI-format workflow written into every PNG (so it opens in ComfyUI as a graph): every API link once with the
/// right slots and types, every widget value in the catalogue's order, integer ids; compared with the workflows
/// ComfyUI's own frontend wrote into real images.
/// </summary>
public sealed class UiWorkflowTests
{
    private static ObjectInfo Catalogue => AdvancedCatalogue.Catalogue;

    public static TheoryData<int> Txt2ImgCombinations() => AdvancedWorkflowTests.Combinations();

    [Theory]
    [MemberData(nameof(Txt2ImgCombinations))]
    public void FromApiGraph_EveryTxt2ImgCombination_CarriesEveryLinkAndWidget(int mask)
    {
        AssertFaithful(AdvancedWorkflowTests.Build(AdvancedWorkflowTests.Combination(mask)), Catalogue);
    }

    public static TheoryData<string, string> ImageModeCases() => ImageModeAdvancedTests.SupportedCases();

    [Theory]
    [MemberData(nameof(ImageModeCases))]
    public void FromApiGraph_EveryImageModeVariant_CarriesEveryLinkAndWidget(string variant, string option)
    {
        AssertFaithful(ImageModeAdvancedTests.BuildSupported(variant, option), Catalogue);
    }

    [Theory]
    [InlineData(UpscaleMethod.Resize, 2.0)]
    [InlineData(UpscaleMethod.Resize, null)]
    [InlineData(UpscaleMethod.Model, 2.0)]
    [InlineData(UpscaleMethod.Model, 4.0)]
    [InlineData(UpscaleMethod.Model, null)]
    public void FromApiGraph_UpscaleVariants_CarriesEveryLinkAndWidget(UpscaleMethod method, double? scale)
    {
        var template = WorkflowTemplate.Parse(
            File.ReadAllText(Path.Combine(TestPaths.Workflows, "upscale", "workflow.json")),
            File.ReadAllText(Path.Combine(TestPaths.Workflows, "upscale", "manifest.json")));
        var request = new GenerationRequest
        {
            Mode = GenerationMode.Upscale,
            SourceImage = Guid.NewGuid(),
            UpscaleMethod = method,
            UpscaleModel = method == UpscaleMethod.Model ? AdvancedCatalogue.UpscaleModel : string.Empty,
            Scale = scale,
            Width = 3000,
            Height = 2000,
        };
        AssertFaithful(WorkflowBuilder.Build(template, request, 1, "DreamLayer/x", "dreamlayer/abc/source.png"), Catalogue);
    }

    public static TheoryData<string> SharedApiWorkflows()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(TestPaths.TestData, "workflows"), "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SharedApiWorkflows))]
    public void FromApiGraph_SharedApiWorkflow_CarriesEveryLinkAndWidget(string file)
    {
        var graph = ComfyGraph.Parse(File.ReadAllText(Path.Combine(TestPaths.TestData, "workflows", file)));
        AssertFaithful(graph, Catalogue);
    }

    /// <summary>
    /// ComfyUI's frontend saved both graphs into these files: converting the <c>prompt</c> must give the same nodes,
    /// the same links slot for slot, and the same widget values as the <c>workflow</c> the frontend wrote.
    /// </summary>
    [Theory]
    [InlineData("comfyui-png", "lora.png")]
    [InlineData("comfyui-png", "sdxl_simple_example.png")]
    [InlineData("comfyui-png", "img2img_workflow.png")]
    public void FromApiGraph_RealComfyImage_MatchesTheWorkflowTheFrontendWrote(string folder, string file)
    {
        var bytes = File.ReadAllBytes(PngBytes.Fixture(folder, file));
        var prompt = ComfyGraph.Parse(PngTextChunks.Find(bytes, "prompt")!);
        var real = JsonNode.Parse(PngTextChunks.Find(bytes, "workflow")!)!.AsObject();
        var ours = UiWorkflow.FromApiGraph(prompt, Catalogue);

        var realNodes = real["nodes"]!.AsArray().Select(n => n!.AsObject())
            .Where(n => prompt.Nodes.ContainsKey(n["id"]!.ToJsonString()))
            .ToDictionary(n => n["id"]!.GetValue<int>());
        var ourNodes = ours["nodes"]!.AsArray().Select(n => n!.AsObject()).ToDictionary(n => n["id"]!.GetValue<int>());
        Assert.Equal(realNodes.Keys.Order(), ourNodes.Keys.Order());
        foreach (var (id, realNode) in realNodes)
        {
            var ourNode = ourNodes[id];
            Assert.Equal(realNode["type"]!.GetValue<string>(), ourNode["type"]!.GetValue<string>());
            // Sockets match; the real file may also link widgets to primitive nodes, which the API graph holds as values.
            Assert.Equal(Sockets(realNode["inputs"]), Sockets(ourNode["inputs"]));
            Assert.Equal(Names(realNode["outputs"]), Names(ourNode["outputs"]));
            // The control-after-generate value differs by frontend version (true, "randomize", "fixed"); the rest is exact.
            Assert.Equal(Widgets(realNode), Widgets(ourNode));
        }
        Assert.Equal(LinkShapes(real, realNodes.Keys), LinkShapes(ours, ourNodes.Keys));
    }

    [Fact]
    public void FromApiGraph_NonNumericIds_AreNumberedAfterTheLargest()
    {
        var graph = AdvancedWorkflowTests.Build(AdvancedWorkflowTests.Base);
        var checkpoint = graph.Nodes.Single(n => n.Value.ClassType == "CheckpointLoaderSimple").Key;
        graph.Add("lora_a", new ComfyNode("LoraLoader")
            .Link("model", checkpoint, 0).Link("clip", checkpoint, 1)
            .Set("lora_name", AdvancedCatalogue.Lora2).Set("strength_model", 0.5).Set("strength_clip", 1.0));
        graph.Add("007", new ComfyNode("VAEDecode").Link("samples", "3", 0).Link("vae", checkpoint, 2));
        var largest = graph.Nodes.Keys.Where(k => int.TryParse(k, out _)).Max(int.Parse);

        var ui = UiWorkflow.FromApiGraph(graph, Catalogue);

        var ids = UiWorkflow.NumericIds(graph);
        Assert.Equal(largest + 1, ids["lora_a"]);
        Assert.Equal(ids.Values.Distinct().Count(), ids.Count);
        Assert.Equal(ids.Values.Max(), ui["last_node_id"]!.GetValue<int>());
        AssertFaithful(graph, Catalogue);
    }

    [Fact]
    public void FromApiGraph_LinkedWidget_BecomesAConvertedWidgetInputAndKeepsItsValueSlot()
    {
        var graph = AdvancedWorkflowTests.Build(AdvancedWorkflowTests.Base);
        graph.Add("50", new ComfyNode("PrimitiveInt").Set("value", 1234));
        graph["3"].Link("seed", "50", 0);

        var ui = UiWorkflow.FromApiGraph(graph, Catalogue);

        var sampler = ui["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<int>() == 3)!;
        var seed = sampler["inputs"]!.AsArray().Single(i => i!["name"]!.GetValue<string>() == "seed")!;
        Assert.Equal("INT", seed["type"]!.GetValue<string>());
        Assert.Equal("seed", seed["widget"]!["name"]!.GetValue<string>());
        var link = ui["links"]!.AsArray().Single(l => l![0]!.GetValue<int>() == seed["link"]!.GetValue<int>())!;
        Assert.Equal((50, 0, "INT"), (link[1]!.GetValue<int>(), link[2]!.GetValue<int>(), link[5]!.GetValue<string>()));
        // Still seven widget values: seed (its default), control, steps, cfg, sampler, scheduler, denoise.
        Assert.Equal(7, sampler["widgets_values"]!.AsArray().Count);
        Assert.Equal(UiWorkflow.ControlAfterGenerate, sampler["widgets_values"]![1]!.GetValue<string>());
        AssertFaithful(graph, Catalogue);
    }

    [Fact]
    public void FromApiGraph_NodeTheServerLacks_KeepsItsLinksAndValues()
    {
        var graph = AdvancedWorkflowTests.Build(AdvancedWorkflowTests.Base);
        graph.Add("60", new ComfyNode("SomeCustomUpscaler").Link("image", "8", 0).Set("factor", 1.5).Set("mode", "sharp"));
        graph["9"].Link("images", "60", 0);

        var ui = UiWorkflow.FromApiGraph(graph, Catalogue);

        var custom = ui["nodes"]!.AsArray().Single(n => n!["id"]!.GetValue<int>() == 60)!;
        Assert.Equal(["image"], Names(custom["inputs"]));
        Assert.Equal("[1.5,\"sharp\"]", custom["widgets_values"]!.ToJsonString());
        var output = Assert.Single(custom["outputs"]!.AsArray())!;
        var link = ui["links"]!.AsArray().Single(l => l![1]!.GetValue<int>() == 60)!;
        Assert.Equal((0, 9, 0, "*"), (link[2]!.GetValue<int>(), link[3]!.GetValue<int>(), link[4]!.GetValue<int>(), link[5]!.GetValue<string>()));
        Assert.Equal([link[0]!.GetValue<int>()], output["links"]!.AsArray().Select(l => l!.GetValue<int>()));
    }

    [Fact]
    public void FromApiGraph_Txt2Img_LaysNodesOutLeftToRightByDepth()
    {
        var graph = AdvancedWorkflowTests.Build(AdvancedWorkflowTests.Base);

        var nodes = UiWorkflow.FromApiGraph(graph, Catalogue)["nodes"]!.AsArray().GroupBy(n => n!["type"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.First()!);

        int X(string type) => nodes[type]["pos"]![0]!.GetValue<int>();
        Assert.True(X("CheckpointLoaderSimple") < X("CLIPTextEncode"));
        Assert.True(X("CLIPTextEncode") < X("KSampler"));
        Assert.True(X("KSampler") < X("VAEDecode"));
        Assert.True(X("VAEDecode") < X("SaveImage"));
        Assert.True(nodes["KSampler"]["order"]!.GetValue<int>() < nodes["SaveImage"]["order"]!.GetValue<int>());
        Assert.Equal("KSampler", nodes["KSampler"]["properties"]!["Node name for S&R"]!.GetValue<string>());
    }

    /// <summary>The checks every converted graph must pass.</summary>
    internal static void AssertFaithful(ComfyGraph graph, ObjectInfo info)
    {
        var ui = UiWorkflow.FromApiGraph(graph, info);
        var ids = UiWorkflow.NumericIds(graph);
        var nodes = ui["nodes"]!.AsArray().Select(n => n!.AsObject()).ToList();
        Assert.Equal(graph.Nodes.Count, nodes.Count);
        Assert.All(nodes, n => Assert.Equal(System.Text.Json.JsonValueKind.Number, n["id"]!.GetValueKind()));
        var byId = nodes.ToDictionary(n => n["id"]!.GetValue<int>());
        Assert.Equal(ids.Values.Order(), byId.Keys.Order());
        Assert.Equal(byId.Keys.Max(), ui["last_node_id"]!.GetValue<int>());
        Assert.Equal(0.4, ui["version"]!.GetValue<double>());

        var links = ui["links"]!.AsArray().Select(l => l!.AsArray()).ToList();
        Assert.Equal(links.Count, ui["last_link_id"]!.GetValue<int>());
        Assert.Equal(links.Count, links.Select(l => l[0]!.GetValue<int>()).Distinct().Count());
        var apiLinks = 0;
        foreach (var (apiId, node) in graph.Nodes)
        {
            var uiNode = byId[ids[apiId]];
            Assert.Equal(node.ClassType, uiNode["type"]!.GetValue<string>());
            var inputs = uiNode["inputs"]!.AsArray();
            foreach (var (name, value) in node.Inputs)
            {
                if (!ComfyLink.TryParse(value, out var apiLink))
                {
                    continue;
                }
                apiLinks++;
                var slot = inputs.Select(i => i!["name"]!.GetValue<string>()).ToList().IndexOf(name);
                Assert.True(slot >= 0, $"{node.ClassType} {apiId}: input {name} has no slot");
                var linkId = inputs[slot]!["link"]!.GetValue<int>();
                var link = Assert.Single(links, l => l[0]!.GetValue<int>() == linkId);
                Assert.Equal(ids[apiLink.SourceId], link[1]!.GetValue<int>());
                Assert.Equal(apiLink.OutputIndex, link[2]!.GetValue<int>());
                Assert.Equal(ids[apiId], link[3]!.GetValue<int>());
                Assert.Equal(slot, link[4]!.GetValue<int>());
                var source = byId[ids[apiLink.SourceId]];
                var output = source["outputs"]![apiLink.OutputIndex]!;
                Assert.Equal(info.Nodes[graph[apiLink.SourceId].ClassType].Outputs[apiLink.OutputIndex], link[5]!.GetValue<string>());
                Assert.Equal(output["type"]!.GetValue<string>(), link[5]!.GetValue<string>());
                Assert.Contains(linkId, output["links"]!.AsArray().Select(l => l!.GetValue<int>()));
            }

            var def = info.Nodes[node.ClassType];
            var widgets = def.Required.Values.Concat(def.Optional.Values).Where(UiWorkflow.IsWidget).ToList();
            var values = uiNode["widgets_values"]?.AsArray() ?? [];
            Assert.Equal(widgets.Sum(ValueCount), values.Count);
            var index = 0;
            foreach (var widget in widgets)
            {
                if (node.Inputs.TryGetValue(widget.Name, out var literal) && !ComfyLink.TryParse(literal, out _))
                {
                    Assert.True(JsonNode.DeepEquals(literal, values[index]), $"{node.ClassType} {apiId}: {widget.Name} is {values[index]?.ToJsonString()}, not {literal?.ToJsonString()}");
                }
                index += ValueCount(widget);
            }
        }
        Assert.Equal(apiLinks, links.Count);
    }

    /// <summary>How many values the frontend saves for a widget input: the widget, then its control or upload widget.</summary>
    private static int ValueCount(InputSpec widget) =>
        1 + (UiWorkflow.HasControlAfterGenerate(widget) ? 1 : 0) + (UiWorkflow.HasImageUpload(widget) ? 1 : 0);

    private static List<string> Sockets(JsonNode? slots) =>
        slots is JsonArray array ? [.. array.Where(s => s!["widget"] is null).Select(s => s!["name"]!.GetValue<string>())] : [];

    private static List<string> Names(JsonNode? slots) =>
        slots is JsonArray array ? [.. array.Select(s => s!["name"]!.GetValue<string>())] : [];

    private static List<string> Widgets(JsonObject node)
    {
        var values = node["widgets_values"] as JsonArray ?? [];
        var type = node["type"]!.GetValue<string>();
        var def = Catalogue.Nodes[type];
        var control = new HashSet<int>();
        var index = 0;
        foreach (var widget in def.Required.Values.Concat(def.Optional.Values).Where(UiWorkflow.IsWidget))
        {
            if (UiWorkflow.HasControlAfterGenerate(widget))
            {
                control.Add(index + 1);
            }
            index += ValueCount(widget);
        }
        return [.. values.Select((v, i) => control.Contains(i) ? "<control>" : Normalised(v))];
    }

    /// <summary>A widget value as text, whole floats as integers (the frontend writes 8 for the graph's 8.0).</summary>
    private static string Normalised(JsonNode? v) =>
        v is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.Number && value.GetValue<double>() is var d && d == Math.Floor(d) && Math.Abs(d) < 1e15
            ? ((long)d).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : v?.ToJsonString() ?? "null";

    private static List<string> LinkShapes(JsonObject workflow, IEnumerable<int> nodeIds)
    {
        var keep = nodeIds.ToHashSet();
        return [.. workflow["links"]!.AsArray().Select(l => l!.AsArray())
            .Where(l => keep.Contains(l[1]!.GetValue<int>()) && keep.Contains(l[3]!.GetValue<int>()))
            .Select(l => $"{l[1]}:{l[2]} -> {l[3]}:{l[4]} {l[5]}")
            .Order(StringComparer.Ordinal)];
    }
}
