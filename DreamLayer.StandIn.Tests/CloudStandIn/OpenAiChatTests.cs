using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text.Json.Nodes;
using CloudStandIn;
using OpenAI;
using OpenAI.Chat;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>
/// OpenAI's Chat Completions with image input as the stand-in speaks it: what the official SDK sends is understood,
/// requests are validated as OpenAI's reference documents them (errors in its shape), and the fault switches apply.
/// </summary>
public sealed class OpenAiChatTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private static string DataUrl(byte[] png) => "data:image/png;base64," + Convert.ToBase64String(png);

    private static JsonObject Request(string url, string text = "Describe this picture.", string model = "gpt-4.1-mini") => new()
    {
        ["model"] = model,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "You write prompts." },
            new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray(
                    new JsonObject { ["type"] = "text", ["text"] = text },
                    new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url, ["detail"] = "auto" } }),
            }),
        ["max_completion_tokens"] = 300,
    };

    [Fact]
    public async Task Sdk_ChatClientWithAnImagePart_DescribesThePicture_BilledOnce()
    {
        var client = new ChatClient("gpt-4.1-mini", new ApiKeyCredential(_cloud.OpenAiKey), new OpenAIClientOptions { Endpoint = new Uri(_cloud.Server.BaseAddress, "v1"), RetryPolicy = new ClientRetryPolicy(0) });
        var picture = CloudHarness.Halves(64, 64, new Rgba32(200, 20, 20), new Rgba32(200, 20, 20));

        var answer = await client.CompleteChatAsync(
            [new UserChatMessage(ChatMessageContentPart.CreateTextPart("describe it as tags"), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(picture), "image/png"))],
            new ChatCompletionOptions { MaxOutputTokenCount = 100 });

        var text = Assert.Single(answer.Value.Content).Text;
        Assert.StartsWith("square, red", text, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.True(answer.Value.Usage.InputTokenCount >= 765); // one picture at full detail
        var billed = Assert.Single(_cloud.Server.Accepted);
        Assert.Equal("gpt-4.1-mini", billed.Model);
    }

    [Fact]
    public async Task Describe_NoInstructionsForTags_AProsePrompt()
    {
        using var response = await _cloud.OpenAiAsync("/v1/chat/completions", Request(DataUrl(CloudHarness.Png(96, 64))));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await CloudHarness.JsonOf(response);
        Assert.Equal("chat.completion", body["object"]!.GetValue<string>());
        Assert.StartsWith("chatcmpl-", body["id"]!.GetValue<string>(), StringComparison.Ordinal);
        var message = body["choices"]![0]!["message"]!;
        Assert.Equal("assistant", message["role"]!.GetValue<string>());
        Assert.StartsWith("a landscape digital painting", message["content"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(message["refusal"]);
    }

    [Theory]
    [InlineData("model", null, 400, "you must provide a model parameter", null)]
    [InlineData("model", "gpt-3.5-vision", 404, "The model `gpt-3.5-vision` does not exist or you do not have access to it.", "model_not_found")]
    [InlineData("temperatur", "0.5", 400, "Unrecognized request argument supplied: temperatur", null)]
    public async Task Refused_TopLevelFields_AsOpenAiWordsThem(string field, string? value, int status, string message, string? code)
    {
        var request = Request(DataUrl(CloudHarness.Png(8, 8)));
        if (value is null)
        {
            request.Remove(field);
        }
        else
        {
            request[field] = field == "temperatur" ? JsonValue.Create(0.5) : JsonValue.Create(value);
        }

        using var response = await _cloud.OpenAiAsync("/v1/chat/completions", request);

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await CloudHarness.JsonOf(response))["error"]!;
        Assert.Equal(message, error["message"]!.GetValue<string>());
        Assert.Equal(code, error["code"]?.GetValue<string>());
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task Refused_NotAPicture_OpenAisUnsupportedImage()
    {
        using var response = await _cloud.OpenAiAsync("/v1/chat/completions", Request("data:image/png;base64," + Convert.ToBase64String("not a picture"u8.ToArray())));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await CloudHarness.JsonOf(response))["error"]!;
        Assert.Equal("invalid_image_format", error["code"]!.GetValue<string>());
        Assert.StartsWith("You uploaded an unsupported image.", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_NoDataPrefix_AndAnImageInASystemMessage()
    {
        using var noPrefix = await _cloud.OpenAiAsync("/v1/chat/completions", Request("aGVsbG8="));
        var system = Request(DataUrl(CloudHarness.Png(8, 8)));
        system["messages"]![1]!["role"] = "system";
        using var inSystem = await _cloud.OpenAiAsync("/v1/chat/completions", system);

        var first = (await CloudHarness.JsonOf(noPrefix))["error"]!;
        Assert.Equal("messages[1].content[1].image_url.url", first["param"]!.GetValue<string>());
        Assert.Contains("without the 'data:' prefix", first["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var second = (await CloudHarness.JsonOf(inSystem))["error"]!;
        Assert.Contains("Image URLs are only allowed for messages with role 'user'", second["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_EmptyMessages_EmptyArray()
    {
        var request = Request(DataUrl(CloudHarness.Png(8, 8)));
        request["messages"] = new JsonArray();

        using var response = await _cloud.OpenAiAsync("/v1/chat/completions", request);

        Assert.Equal("empty_array", (await CloudHarness.JsonOf(response))["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Faults_ModerationAsInvalidPrompt_RateLimitWithRetryAfter_WrongKey401()
    {
        var faults = _cloud.Server.Faults(CloudProvider.OpenAi);
        faults.Reject = Rejection.Moderated;
        using var moderated = await _cloud.OpenAiAsync("/v1/chat/completions", Request(DataUrl(CloudHarness.Png(8, 8))));
        faults.Reject = Rejection.RateLimited;
        faults.RetryAfterSeconds = 7;
        using var limited = await _cloud.OpenAiAsync("/v1/chat/completions", Request(DataUrl(CloudHarness.Png(8, 8))));
        faults.Reset();
        using var wrongKey = await _cloud.OpenAiAsync("/v1/chat/completions", Request(DataUrl(CloudHarness.Png(8, 8))), key: "sk-wrong-key-000000");

        Assert.Equal(HttpStatusCode.BadRequest, moderated.StatusCode);
        Assert.Equal("invalid_prompt", (await CloudHarness.JsonOf(moderated))["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Equal("7", limited.Headers.GetValues("Retry-After").Single());
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Fact]
    public async Task Fault_ChatRefusal_ContentNullAndTheRefusal_Billed()
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).ChatRefusal = "I'm sorry, I can't help with that.";

        using var response = await _cloud.OpenAiAsync("/v1/chat/completions", Request(DataUrl(CloudHarness.Png(8, 8))));

        var message = (await CloudHarness.JsonOf(response))["choices"]![0]!["message"]!;
        Assert.Null(message["content"]);
        Assert.Equal("I'm sorry, I can't help with that.", message["refusal"]!.GetValue<string>());
        Assert.Single(_cloud.Server.Accepted);
    }
}
