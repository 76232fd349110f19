using DreamLayer.Domain.Comfy;

namespace DreamLayer.Web.Tests.Domain;

public sealed class ObjectInfoTests
{
    private static readonly ObjectInfo Real = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

    [Fact]
    public void ApiNodesIn_NamesThePaidApiNodesOfTheGraphOnce_ByDisplayName()
    {
        Assert.True(Real.Nodes["OpenAIGPTImage1"].IsApiNode);
        Assert.True(Real.Nodes["IdeogramV3"].IsApiNode);
        Assert.False(Real.Nodes["KSampler"].IsApiNode);
        var graph = new ComfyGraph();
        graph.Add("1", new ComfyNode("OpenAIGPTImage1").Set("prompt", "a"));
        graph.Add("2", new ComfyNode("IdeogramV3").Set("prompt", "b"));
        graph.Add("3", new ComfyNode("OpenAIGPTImage1").Set("prompt", "c"));
        graph.Add("4", new ComfyNode("SaveImage").Link("images", "1", 0));

        Assert.Equal(["OpenAI GPT Image 1", "Ideogram V3"], Real.ApiNodesIn(graph));

        // The server's catalogue decides: a server that does not mark the class an API node makes it an ordinary node.
        var unmarked = CatalogueJson.Parse("""{"OpenAIGPTImage1":{"input":{"required":{}},"output":["IMAGE"],"display_name":"OpenAI GPT Image 1"}}""");
        Assert.Empty(unmarked.ApiNodesIn(graph));
    }

    [Fact]
    public void Parse_RealDump_ReadsArrayFormCombos()
    {
        var samplers = Real.ComboValues("KSampler", "sampler_name");
        Assert.Equal(42, samplers.Count);
        Assert.Equal("euler", samplers[0]);
        Assert.Equal(InputKind.ListCombo, Real.Nodes["KSampler"].Required["sampler_name"].Kind);
    }

    [Fact]
    public void Parse_ComboTypeForm_ReadsOptions()
    {
        const string json = """{"UpscaleModelLoader":{"input":{"required":{"model_name":["COMBO",{"multiselect":false,"options":["4x-UltraSharp.pth","sub\\x.pth"]}]}},"output":["UPSCALE_MODEL"],"output_node":false}}""";
        var info = CatalogueJson.Parse(json);
        var spec = info.Nodes["UpscaleModelLoader"].Required["model_name"];
        Assert.Equal(InputKind.ComboType, spec.Kind);
        Assert.Equal(["4x-UltraSharp.pth", "sub\\x.pth"], spec.ComboValues);
    }

    [Fact]
    public void Parse_SeedMax_KeepsFull64BitRange()
    {
        var seed = Real.Nodes["KSampler"].Required["seed"];
        Assert.Equal(18446744073709551615m, seed.Max);
        Assert.Equal(0m, seed.Min);
    }

    [Fact]
    public void Parse_UnknownKeysAndMissingSections_AreIgnored()
    {
        const string json = """{"X":{"input":{"required":{"a":["INT",{"min":1,"max":5,"search_aliases":["q"]}]}},"is_input_list":true,"output":[],"output_node":true,"essentials_category":"z"},"Broken":42}""";
        var info = CatalogueJson.Parse(json);
        Assert.True(info.Nodes["X"].IsOutputNode);
        Assert.False(info.HasNode("Broken"));
        Assert.Equal(5m, info.Nodes["X"].Required["a"].Max);
    }
}
