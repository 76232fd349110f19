using System.Text.Json.Nodes;
using DreamLayer.Domain.Comfy;
using DreamLayer.Domain.Workflows;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>
/// Which nodes Img2Txt takes for captioners (decision 0034), the prompt it builds for one, and the text it reads back.
/// The declarations are those of real packs: ComfyUI-WD14-Tagger (category "image"), a PixAI tagger (category
/// "image/tagging", an output node) and kijai's Florence2Run (category "Florence2", not an output node).
/// </summary>
public sealed class CaptionGraphTests
{
    private const string Wd14 = """
        "WD14Tagger|pysssss": {"input": {"required": {"image": ["IMAGE"],
          "model": [["wd-v1-4-moat-tagger-v2", "wd-v1-4-convnext-tagger-v2", "wd-v1-4-swinv2-tagger-v2", "wd-v1-4-convnextv2-tagger-v2", "wd-v1-4-vit-tagger-v2"]],
          "threshold": ["FLOAT", {"default": 0.35, "min": 0.0, "max": 1, "step": 0.05}],
          "character_threshold": ["FLOAT", {"default": 0.85, "min": 0.0, "max": 1, "step": 0.05}],
          "replace_underscore": ["BOOLEAN", {"default": false}], "trailing_comma": ["BOOLEAN", {"default": false}],
          "exclude_tags": ["STRING", {"default": ""}]}},
          "output": ["STRING"], "output_is_list": [true], "output_name": ["STRING"], "name": "WD14Tagger|pysssss",
          "display_name": "WD14 Tagger 🐍", "description": "", "python_module": "custom_nodes.ComfyUI-WD14-Tagger", "category": "image", "output_node": true}
        """;

    private const string PixAi = """
        "PixAITagger": {"input": {"required": {"image": ["IMAGE"], "threshold": ["FLOAT", {"default": 0.17, "min": 0.0, "max": 1.0, "step": 0.01}],
          "character_threshold": ["FLOAT", {"default": 0.27, "min": 0.0, "max": 1.0, "step": 0.01}]}},
          "output": ["STRING", "STRING"], "output_is_list": [true, true], "output_name": ["tags", "scores_json"], "name": "PixAITagger",
          "display_name": "PixAI Tagger", "description": "", "python_module": "custom_nodes.pixai", "category": "image/tagging", "output_node": true}
        """;

    private const string Florence2Run = """
        "Florence2Run": {"input": {"required": {"image": ["IMAGE"], "florence2_model": ["FL2MODEL"], "text_input": ["STRING", {"default": "", "multiline": true}],
          "task": [["region_caption", "caption", "detailed_caption", "more_detailed_caption"]]}},
          "output": ["IMAGE", "MASK", "STRING", "JSON"], "output_is_list": [false, false, false, false], "output_name": ["image", "mask", "caption", "data"],
          "name": "Florence2Run", "display_name": "Florence2Run", "description": "", "python_module": "custom_nodes.ComfyUI-Florence2", "category": "Florence2", "output_node": false}
        """;

    private const string Questions = """
        "AskAboutImage": {"input": {"required": {"image": ["IMAGE"], "question": ["STRING", {"default": "What is in the picture?"}], "model": ["VLM_MODEL"]}},
          "output": ["STRING"], "output_is_list": [false], "output_name": ["answer"], "name": "AskAboutImage", "display_name": "Ask",
          "description": "", "python_module": "custom_nodes.vlm", "category": "VLM/captioning", "output_node": true}
        """;

    private static ObjectInfo Catalogue(params string[] nodes) => CatalogueJson.Parse("{" + string.Join(",", nodes) + "}");

    [Fact]
    public void Find_Wd14ByName_APixAiTaggerByItsCategory_NotFlorence2RunWhoseTextNeverReachesTheHistory()
    {
        var found = CaptionGraph.Find(Catalogue(Wd14, PixAi, Florence2Run));

        Assert.Equal(["PixAITagger", "WD14Tagger|pysssss"], found.Select(c => c.ClassType).Order(StringComparer.Ordinal));
        Assert.Equal("WD14 Tagger 🐍", found.Single(c => c.ClassType == "WD14Tagger|pysssss").DisplayName);
        Assert.All(found, c => Assert.Null(c.InstructionsInput));
    }

    [Fact]
    public void Find_ACaptioningCategoryWithAModelSocketToFill_IsNotTaken()
    {
        Assert.Empty(CaptionGraph.Find(Catalogue(Questions))); // "model" needs another node's output: the graph cannot be built alone
    }

    [Fact]
    public void Find_ComfyUisOwnCatalogue_HasNoCaptioner()
    {
        var core = CatalogueJson.Parse(File.ReadAllText(TestPaths.ObjectInfoJson));

        Assert.Empty(CaptionGraph.Find(core)); // 496 real nodes, none of which writes text about a picture
    }

    [Fact]
    public void Find_TheCategoryWordsMatchAnySegment_CaseIgnored()
    {
        var tagger = Catalogue(PixAi.Replace("image/tagging", "utils/WD Taggers", StringComparison.Ordinal));
        var interrogator = Catalogue(PixAi.Replace("image/tagging", "CLIP Interrogator", StringComparison.Ordinal));
        var other = Catalogue(PixAi.Replace("image/tagging", "image/postprocessing", StringComparison.Ordinal));

        Assert.Single(CaptionGraph.Find(tagger));
        Assert.Single(CaptionGraph.Find(interrogator));
        Assert.Empty(CaptionGraph.Find(other));
    }

    [Fact]
    public void Build_Wd14_LoadImageLinkedToTheTagger_EveryWidgetAtItsDefault_AndValidForComfyUi()
    {
        var info = CatalogueJson.Parse(WithLoadImage(Wd14));
        info.TryGetNode("WD14Tagger|pysssss", out var node);

        var graph = CaptionGraph.Build(node, "abc.png", "describe it as tags");

        var json = graph.ToJson();
        Assert.Equal("LoadImage", json[CaptionGraph.LoadNode]!["class_type"]!.GetValue<string>());
        Assert.Equal("abc.png", json[CaptionGraph.LoadNode]!["inputs"]!["image"]!.GetValue<string>());
        var inputs = json[CaptionGraph.CaptionNode]!["inputs"]!.AsObject();
        Assert.Equal("""["1",0]""", inputs["image"]!.ToJsonString());
        Assert.Equal("wd-v1-4-moat-tagger-v2", inputs["model"]!.GetValue<string>());
        Assert.Equal(0.35, inputs["threshold"]!.GetValue<double>());
        Assert.False(inputs["trailing_comma"]!.GetValue<bool>());
        Assert.Equal(string.Empty, inputs["exclude_tags"]!.GetValue<string>()); // the instructions go nowhere: WD14 takes none
        Assert.True(PromptValidator.Validate(graph, info).IsValid);
    }

    [Fact]
    public void Build_ANodeWithAQuestion_TheInstructionsGoThere_CutAtTheLimit()
    {
        var question = Questions.Replace("""["VLM_MODEL"]""", """[["small", "large"]]""", StringComparison.Ordinal);
        var info = CatalogueJson.Parse(WithLoadImage(question));
        info.TryGetNode("AskAboutImage", out var node);
        Assert.Equal("question", Assert.Single(CaptionGraph.Find(info)).InstructionsInput);

        var graph = CaptionGraph.Build(node, "x.png", new string('a', CaptionGraph.MaxInstructions + 10));

        Assert.Equal(CaptionGraph.MaxInstructions, graph[CaptionGraph.CaptionNode].Inputs["question"]!.GetValue<string>().Length);
        Assert.Equal("small", graph[CaptionGraph.CaptionNode].Inputs["model"]!.GetValue<string>());
    }

    [Fact]
    public void ReadText_TheTaggersStrings_TrimmedAndJoined_NullWhenEmpty()
    {
        Assert.Equal("no_humans, scenery", CaptionGraph.ReadText(["no_humans, scenery, "]));
        Assert.Equal("a cat\na dog", CaptionGraph.ReadText(["a cat", " ", "a dog"]));
        Assert.Null(CaptionGraph.ReadText([""]));
        Assert.Null(CaptionGraph.ReadText([]));
        Assert.Null(CaptionGraph.ReadText(null));
    }

    /// <summary>The node with the real LoadImage beside it (from the stand-in's catalogue), so the graph can be validated.</summary>
    private static string WithLoadImage(string node)
    {
        var core = JsonNode.Parse(File.ReadAllText(TestPaths.ObjectInfoJson))!;
        var load = core["LoadImage"]!.DeepClone();
        load["input"]!["required"]!["image"]![0] = new JsonArray("abc.png", "x.png");
        return "{" + node + ", \"LoadImage\": " + load.ToJsonString() + "}";
    }
}
