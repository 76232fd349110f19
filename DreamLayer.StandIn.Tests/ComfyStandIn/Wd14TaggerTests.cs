using System.Net;
using System.Text.Json.Nodes;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>
/// ComfyUI-WD14-Tagger's node as the stand-in serves it (<c>--wd14-tagger</c>): declared as the pack's
/// <c>wd14tagger.py</c> declares it, and run as it runs: an output node whose <c>ui</c> is <c>{"tags": [...]}</c>, in the
/// <c>executed</c> event and in the history.
/// </summary>
public sealed class Wd14TaggerTests : IAsyncLifetime
{
    private const string Node = "WD14Tagger|pysssss";

    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync(o => o.Wd14Tagger = true);

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    [Fact]
    public async Task ObjectInfo_TheNodeAsThePackDeclaresIt()
    {
        var info = (await _standIn.GetJsonAsync("/object_info/" + Uri.EscapeDataString(Node)))[Node]!;

        Assert.Equal("image", info["category"]!.GetValue<string>());
        Assert.True(info["output_node"]!.GetValue<bool>());
        Assert.Equal("""["STRING"]""", info["output"]!.ToJsonString());
        Assert.Equal("""[true]""", info["output_is_list"]!.ToJsonString());
        Assert.Equal("WD14 Tagger 🐍", info["display_name"]!.GetValue<string>());
        var required = info["input"]!["required"]!.AsObject();
        Assert.Equal(["image", "model", "threshold", "character_threshold", "replace_underscore", "trailing_comma", "exclude_tags"], required.Select(p => p.Key));
        Assert.Equal(0.35, required["threshold"]![1]!["default"]!.GetValue<double>());
        Assert.Equal("wd-v1-4-moat-tagger-v2", required["model"]![0]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task ObjectInfo_WithoutTheOption_NoTagger()
    {
        await using var plain = await StandInHarness.StartAsync();

        Assert.Null((await plain.GetJsonAsync("/object_info"))[Node]);
    }

    [Fact]
    public async Task Run_TagsInTheExecutedEventAndTheHistory_OneStringPerPicture_WithTheColoursOfThePicture()
    {
        WriteInput("red.png", new Rgb24(220, 20, 20));
        await using var ws = await _standIn.ConnectAsync("tagger");

        var id = await _standIn.QueueAsync(Graph("red.png"), "tagger");
        var messages = await ws.UntilDoneAsync(id);

        var executed = Assert.Single(messages, m => m.Type == "executed");
        Assert.Equal("2", executed.Data!["node"]!.GetValue<string>());
        var tags = Assert.Single(executed.Data["output"]!["tags"]!.AsArray())!.GetValue<string>();
        Assert.Equal("no_humans, red_theme, scenery, gradient_background, circle", tags);
        var history = await _standIn.HistoryEntryAsync(id);
        Assert.Equal("success", history["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal(executed.Data["output"]!.ToJsonString(), history["outputs"]!["2"]!.ToJsonString());
    }

    [Fact]
    public async Task Run_TheSourcesJoiningOptions_UnderscoresTrailingCommaExcludedTags()
    {
        WriteInput("blue.png", new Rgb24(20, 20, 230));
        var graph = Graph("blue.png");
        graph["2"]!["inputs"]!["replace_underscore"] = true;
        graph["2"]!["inputs"]!["trailing_comma"] = true;
        graph["2"]!["inputs"]!["exclude_tags"] = "Scenery, circle";

        var entry = await RunAsync(graph);
        Assert.Equal("no humans, blue theme, gradient background, ", entry["outputs"]!["2"]!["tags"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Run_AThresholdNoTagPasses_AnEmptyString()
    {
        WriteInput("grey.png", new Rgb24(128, 128, 128));
        var graph = Graph("grey.png");
        graph["2"]!["inputs"]!["threshold"] = 1.0;

        var entry = await RunAsync(graph);
        Assert.Equal("""{"tags":[""]}""", entry["outputs"]!["2"]!.ToJsonString());
    }

    [Fact]
    public async Task Prompt_AModelNotInTheList_RefusedAsComfyUiRefusesAComboValue()
    {
        WriteInput("red.png", new Rgb24(220, 20, 20));
        var graph = Graph("red.png");
        graph["2"]!["inputs"]!["model"] = "wd-unknown";

        var (status, body) = await _standIn.PostPromptAsync(graph);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("value_not_in_list", body!["node_errors"]!["2"]!["errors"]![0]!["type"]!.GetValue<string>());
    }

    private static JsonObject Graph(string image) => new()
    {
        ["1"] = new JsonObject { ["class_type"] = "LoadImage", ["inputs"] = new JsonObject { ["image"] = image } },
        ["2"] = new JsonObject
        {
            ["class_type"] = Node,
            ["inputs"] = new JsonObject
            {
                ["image"] = new JsonArray("1", 0),
                ["model"] = "wd-v1-4-moat-tagger-v2",
                ["threshold"] = 0.35,
                ["character_threshold"] = 0.85,
                ["replace_underscore"] = false,
                ["trailing_comma"] = false,
                ["exclude_tags"] = string.Empty,
            },
        },
    };

    private void WriteInput(string name, Rgb24 colour)
    {
        var folder = Path.Combine(_standIn.DataDirectory, "input");
        Directory.CreateDirectory(folder);
        using var image = new Image<Rgb24>(64, 48, colour);
        image.SaveAsPng(Path.Combine(folder, name));
    }

    /// <summary>Runs the graph to its end (followed over the WebSocket) and returns its history entry.</summary>
    private async Task<JsonObject> RunAsync(JsonObject graph)
    {
        await using var ws = await _standIn.ConnectAsync("run");
        var id = await _standIn.QueueAsync(graph, "run");
        await ws.UntilDoneAsync(id);
        return await _standIn.HistoryEntryAsync(id);
    }
}
