using System.Text.Json.Nodes;
using SixLabors.ImageSharp;

namespace DreamLayer.Web.Tests.ComfyStandIn;

/// <summary>ComfyUI's paid API nodes: accepted at validation, and at execution they need the prompt's Comfy.org credentials.</summary>
public sealed class ApiNodeTests : IAsyncLifetime
{
    private StandInHarness _standIn = null!;

    public async Task InitializeAsync() => _standIn = await StandInHarness.StartAsync();

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private static JsonObject GptImage(string size = "1024x1536") => new()
    {
        ["1"] = new JsonObject
        {
            ["class_type"] = "OpenAIGPTImage1",
            ["inputs"] = new JsonObject { ["prompt"] = "a lighthouse", ["seed"] = 7, ["quality"] = "low", ["background"] = "opaque", ["size"] = size, ["n"] = 1 },
        },
        ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "api" } },
    };

    [Fact]
    public async Task ObjectInfo_ApiNodes_AreMarkedApiNode()
    {
        var info = await _standIn.GetJsonAsync("/object_info");

        foreach (var node in new[] { "OpenAIGPTImage1", "IdeogramV3", "FluxProUltraImageNode", "FluxKontextProImageNode" })
        {
            Assert.True(info[node]!["api_node"]!.GetValue<bool>(), node);
        }
        Assert.Null(info["KSampler"]!["api_node"]);
    }

    [Fact]
    public async Task ApiNode_WithoutComfyOrgKey_IsQueuedThenFailsAtThatNodeUnauthorized()
    {
        await using var ws = await _standIn.ConnectAsync("nokey");

        var (status, body) = await _standIn.PostPromptAsync(GptImage(), "nokey");
        Assert.Equal(System.Net.HttpStatusCode.OK, status); // validation does not look at credentials
        var id = body!["prompt_id"]!.GetValue<string>();
        var events = await ws.UntilDoneAsync(id);

        var error = events.Single(e => e.Type == "execution_error").Data!;
        Assert.Equal("1", error["node_id"]!.GetValue<string>());
        Assert.Equal("OpenAIGPTImage1", error["node_type"]!.GetValue<string>());
        Assert.Equal("Exception", error["exception_type"]!.GetValue<string>());
        Assert.Equal("Unauthorized: Please login first to use this node.", error["exception_message"]!.GetValue<string>());
        Assert.Equal("error", (await _standIn.HistoryEntryAsync(id))["status"]!["status_str"]!.GetValue<string>());
        Assert.Equal([(id, (string?)null)], _standIn.Server.PromptKeys);
    }

    [Fact]
    public async Task ApiNode_WithComfyOrgKey_DrawsPictureOfAskedSizeAndRecordsKeyOnlyForThatPrompt()
    {
        await using var ws = await _standIn.ConnectAsync("key");

        var local = await _standIn.QueueAsync(StandInHarness.Txt2Img(steps: 1), "key");
        var id = await _standIn.QueueAsync(GptImage("1024x1536"), "key", body => body["extra_data"] = new JsonObject { ["api_key_comfy_org"] = "comfyui-abc123" });
        await ws.UntilDoneAsync(id);

        var entry = await _standIn.HistoryEntryAsync(id);
        Assert.Equal("success", entry["status"]!["status_str"]!.GetValue<string>());
        var image = entry["outputs"]!["2"]!["images"]![0]!;
        var png = await _standIn.Http.GetByteArrayAsync(new Uri($"/view?filename={image["filename"]}&type=output", UriKind.Relative));
        var info = Image.Identify(png);
        Assert.Equal((1024, 1536), (info.Width, info.Height));
        Assert.Equal([(local, (string?)null), (id, "comfyui-abc123")], _standIn.Server.PromptKeys);
        Assert.DoesNotContain("comfyui-abc123", entry.ToJsonString(), StringComparison.Ordinal); // the history never keeps it
    }

    [Fact]
    public async Task ApiNode_WithAuthTokenInstead_RunsAndSizesFromAspectRatio()
    {
        await using var ws = await _standIn.ConnectAsync("token");
        var prompt = new JsonObject
        {
            ["1"] = new JsonObject
            {
                ["class_type"] = "IdeogramV3",
                ["inputs"] = new JsonObject { ["prompt"] = "a sign saying OPEN", ["aspect_ratio"] = "16:9", ["resolution"] = "Auto", ["magic_prompt_option"] = "AUTO", ["seed"] = 1, ["num_images"] = 1, ["rendering_speed"] = "TURBO" },
            },
            ["2"] = new JsonObject { ["class_type"] = "SaveImage", ["inputs"] = new JsonObject { ["images"] = new JsonArray("1", 0), ["filename_prefix"] = "api" } },
        };

        var id = await _standIn.QueueAsync(prompt, "token", body => body["extra_data"] = new JsonObject { ["auth_token_comfy_org"] = "session-token" });
        await ws.UntilDoneAsync(id);

        var image = (await _standIn.HistoryEntryAsync(id))["outputs"]!["2"]!["images"]![0]!;
        var info = Image.Identify(await _standIn.Http.GetByteArrayAsync(new Uri($"/view?filename={image["filename"]}&type=output", UriKind.Relative)));
        Assert.Equal((1376, 768), (info.Width, info.Height)); // 16:9 at about one megapixel, sides a multiple of 32
    }
}
