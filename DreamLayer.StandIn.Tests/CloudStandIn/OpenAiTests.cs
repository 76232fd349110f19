using System.Net;
using System.Text.Json.Nodes;
using CloudStandIn;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.CloudStandIn;

/// <summary>OpenAI's Images API as its reference documents it: shapes, per-model options, errors.</summary>
public sealed class OpenAiTests : IAsyncLifetime
{
    private CloudHarness _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudHarness.StartAsync();

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    [Fact]
    public async Task Generations_GptImage1_AnswersBase64PictureOfTheSizeWithUsageAndRequestId()
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations",
            new JsonObject { ["model"] = "gpt-image-1", ["prompt"] = "a red fox", ["size"] = "1536x1024", ["quality"] = "low" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await CloudHarness.JsonOf(response);
        var picture = Convert.FromBase64String(body["data"]![0]!["b64_json"]!.GetValue<string>());
        var info = Image.Identify(picture);
        Assert.Equal((1536, 1024), (info.Width, info.Height));
        Assert.Equal("PNG", Image.DetectFormat(picture).Name);
        Assert.Null(body["data"]![0]!["url"]);
        Assert.Equal("low", body["quality"]!.GetValue<string>());
        Assert.Equal("opaque", body["background"]!.GetValue<string>());
        Assert.Equal(400, body["usage"]!["output_tokens"]!.GetValue<int>());
        var requestId = Assert.Single(response.Headers.GetValues("x-request-id"));
        Assert.StartsWith("req_", requestId, StringComparison.Ordinal);
        var accepted = Assert.Single(_cloud.Server.Accepted);
        Assert.Equal((CloudProvider.OpenAi, "gpt-image-1", "a red fox", _cloud.OpenAiKey, requestId), (accepted.Provider, accepted.Model, accepted.Prompt, accepted.Key, accepted.Id));
    }

    [Theory]
    [InlineData("jpeg", "JPEG")]
    [InlineData("webp", "Webp")]
    public async Task Generations_GptImage1OutputFormat_EncodesThePictureSo(string format, string detected)
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations",
            new JsonObject { ["model"] = "gpt-image-1", ["prompt"] = "a fox", ["output_format"] = format, ["quality"] = "low" });

        var body = await CloudHarness.JsonOf(response);
        Assert.Equal(detected, Image.DetectFormat(Convert.FromBase64String(body["data"]![0]!["b64_json"]!.GetValue<string>())).Name);
        Assert.Equal(format, body["output_format"]!.GetValue<string>());
        Assert.Equal("1024x1024", body["size"]!.GetValue<string>()); // auto
    }

    [Fact]
    public async Task Generations_DallE3_AnswersUrlAndRevisedPromptAndTheUrlServesThePicture()
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations",
            new JsonObject { ["model"] = "dall-e-3", ["prompt"] = "a castle", ["size"] = "1792x1024", ["style"] = "natural" });

        var item = (await CloudHarness.JsonOf(response))["data"]!.AsArray().Single()!;
        Assert.Contains("a castle", item["revised_prompt"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual("a castle", item["revised_prompt"]!.GetValue<string>());
        var info = Image.Identify(await _cloud.Http.GetByteArrayAsync(new Uri(item["url"]!.GetValue<string>())));
        Assert.Equal((1792, 1024), (info.Width, info.Height));
    }

    [Fact]
    public async Task Generations_NoModel_IsDallE2WithItsDefaultSizeAndUrl()
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations", new JsonObject { ["prompt"] = "a fox", ["size"] = "256x256", ["n"] = 2 });

        var data = (await CloudHarness.JsonOf(response))["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.All(data, d => Assert.NotNull(d!["url"]));
        Assert.Equal("dall-e-2", Assert.Single(_cloud.Server.Accepted).Model);
    }

    [Theory]
    [InlineData("""{"model":"dall-e-2","prompt":"x","size":"1024x1536"}""", "size", "invalid_value", "Supported values are: '256x256', '512x512', and '1024x1024'.")]
    [InlineData("""{"model":"gpt-image-1","prompt":"x","size":"512x512"}""", "size", "invalid_value", "'auto', '1024x1024', '1536x1024', and '1024x1536'")]
    [InlineData("""{"model":"dall-e-3","size":"1024x1024"}""", "prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.")]
    [InlineData("""{"model":"dall-e-3","prompt":"x","n":2}""", "n", "integer_above_max_value", "Expected a value <= 1, but got 2")]
    [InlineData("""{"model":"gpt-image-1","prompt":"x","n":11}""", "n", "integer_above_max_value", "Expected a value <= 10")]
    [InlineData("""{"model":"dall-e-3","prompt":"x","background":"transparent"}""", "background", "unknown_parameter", "Unknown parameter: 'background'.")]
    [InlineData("""{"model":"gpt-image-1","prompt":"x","response_format":"url"}""", "response_format", "unknown_parameter", "Unknown parameter")]
    [InlineData("""{"model":"gpt-image-1","prompt":"x","background":"transparent","output_format":"jpeg"}""", "background", "invalid_value", "png' or 'webp'")]
    [InlineData("""{"model":"dall-e-3","prompt":"x","quality":"high"}""", "quality", "invalid_value", "'auto', 'standard', and 'hd'")]
    [InlineData("""{"model":"dall-e-4","prompt":"x"}""", "model", "invalid_value", "Invalid value: 'dall-e-4'")]
    [InlineData("""{"model":"dall-e-2","prompt":7}""", "prompt", "invalid_type", "expected a string, but got a number")]
    public async Task Generations_InvalidForTheModel_400InOpenAisShapeAndNothingBilled(string json, string param, string code, string message)
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations", JsonNode.Parse(json)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await CloudHarness.JsonOf(response))["error"]!;
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal(param, error["param"]!.GetValue<string>());
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Theory]
    [InlineData("dall-e-2", 1000, 1001)]
    [InlineData("dall-e-3", 4000, 4001)]
    [InlineData("gpt-image-1", 32000, 32001)]
    public async Task Generations_PromptOverTheModelsLimit_400StringAboveMaxLength(string model, int limit, int length)
    {
        using var response = await _cloud.OpenAiAsync("/v1/images/generations", new JsonObject { ["model"] = model, ["prompt"] = new string('a', length) });

        var error = (await CloudHarness.JsonOf(response))["error"]!;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("string_above_max_length", error["code"]!.GetValue<string>());
        Assert.Contains($"maximum length {limit}, but got a string with length {length}", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generations_NotJson_400CouldNotParse()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/images/generations", UriKind.Relative)) { Content = new StringContent("prompt=x") };
        request.Headers.Authorization = new("Bearer", _cloud.OpenAiKey);
        using var response = await _cloud.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("We could not parse the JSON body", (await CloudHarness.JsonOf(response))["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_MissingOrWrong_401InvalidApiKeyNeverEchoingTheKey_AndModelsChecksAGoodKeyUnbilled()
    {
        using var none = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/models", UriKind.Relative));
        using var noneResponse = await _cloud.Http.SendAsync(none);
        using var wrong = await _cloud.OpenAiAsync("/v1/images/generations", new JsonObject { ["prompt"] = "x" }, key: "sk-proj-WRONGWRONGWRONG1234");
        using var good = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/models", UriKind.Relative));
        good.Headers.Authorization = new("Bearer", _cloud.OpenAiKey);
        using var goodResponse = await _cloud.Http.SendAsync(good);

        Assert.Equal(HttpStatusCode.Unauthorized, noneResponse.StatusCode);
        Assert.Null((await CloudHarness.JsonOf(noneResponse))["error"]!["code"]);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var text = await wrong.Content.ReadAsStringAsync();
        Assert.Equal("invalid_api_key", JsonNode.Parse(text)!["error"]!["code"]!.GetValue<string>());
        Assert.DoesNotContain("WRONGWRONGWRONG", text, StringComparison.Ordinal);
        Assert.Contains("1234", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, goodResponse.StatusCode);
        Assert.Contains("gpt-image-1", (await CloudHarness.JsonOf(goodResponse))["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Empty(_cloud.Server.Accepted);
        Assert.Equal([null, "sk-proj-WRONGWRONGWRONG1234", _cloud.OpenAiKey], _cloud.Server.Requests.Select(r => r.Key));
    }

    [Fact]
    public async Task Edits_GptImage1WithTwoImagesAndMask_AnswersEditedPicture()
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("gpt-image-1"), "model" },
            { new StringContent("put a hat on it"), "prompt" },
            { new StringContent("low"), "quality" },
            { CloudHarness.File(CloudHarness.Png(64, 48)), "image[]", "a.png" },
            { CloudHarness.File(CloudHarness.Png(32, 32)), "image[]", "b.png" },
            { CloudHarness.File(CloudHarness.Png(64, 48, alpha: true)), "mask", "mask.png" },
        };

        using var response = await _cloud.OpenAiFormAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await CloudHarness.JsonOf(response);
        Assert.NotNull(body["data"]![0]!["b64_json"]);
        Assert.True(body["usage"]!["input_tokens_details"]!["image_tokens"]!.GetValue<int>() > 0);
        Assert.Equal("put a hat on it", Assert.Single(_cloud.Server.Accepted).Prompt);
    }

    [Fact]
    public async Task Edits_MaskTransparentOnTheLeft_RepaintsTheLeftAndKeepsThePictureOnTheRight()
    {
        var orange = new Rgba32(200, 100, 50, 255);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("gpt-image-1"), "model" },
            { new StringContent("a lake on the left"), "prompt" },
            { new StringContent("1024x1024"), "size" },
            { CloudHarness.File(CloudHarness.Halves(64, 64, orange, orange)), "image", "a.png" },
            { CloudHarness.File(CloudHarness.Halves(64, 64, new Rgba32(0, 0, 0, 0), new Rgba32(0, 0, 0, 255))), "mask", "mask.png" },
        };

        using var response = await _cloud.OpenAiFormAsync(form);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var picture = Convert.FromBase64String((await CloudHarness.JsonOf(response))["data"]![0]!["b64_json"]!.GetValue<string>());
        Assert.Equal(orange, CloudHarness.PixelAt(picture, 0.75, 0.5)); // opaque in the mask: kept
        Assert.NotEqual(orange, CloudHarness.PixelAt(picture, 0.25, 0.5)); // transparent in the mask: repainted
    }

    [Theory]
    [InlineData("moderation", "low", "moderation")] // the edits endpoint documents no moderation
    [InlineData("mask", "opaque", "mask")] // a mask without an alpha channel marks nothing
    public async Task Edits_GptImage1_ParameterOrMaskTheEndpointDoesNotTake_400NamingIt(string name, string value, string param)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent("gpt-image-1"), "model" },
            { new StringContent("edit"), "prompt" },
            { CloudHarness.File(CloudHarness.Png(64, 64)), "image", "a.png" },
        };
        if (name == "mask") { form.Add(CloudHarness.File(CloudHarness.Png(64, 64, alpha: false)), "mask", "m.png"); }
        else { form.Add(new StringContent(value), name); }

        using var response = await _cloud.OpenAiFormAsync(form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await CloudHarness.JsonOf(response))["error"]!["param"]!.GetValue<string>());
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Theory]
    [InlineData("dall-e-3", 64, 64, true, false, "model")]
    [InlineData("dall-e-2", 64, 48, true, false, "image")] // dall-e-2 edits square pictures only
    [InlineData("dall-e-2", 64, 64, false, false, "image")] // without a mask the picture must carry transparency
    [InlineData("gpt-image-1", 64, 64, false, true, "mask")] // the mask must match the picture's size
    [InlineData("gpt-image-1", 0, 0, false, false, "image")] // no picture at all
    public async Task Edits_InvalidForTheModel_400NamingTheParameter(string model, int width, int height, bool alpha, bool badMask, string param)
    {
        using var form = new MultipartFormDataContent { { new StringContent(model), "model" }, { new StringContent("edit"), "prompt" } };
        if (width > 0) { form.Add(CloudHarness.File(CloudHarness.Png(width, height, alpha)), "image", "a.png"); }
        if (badMask) { form.Add(CloudHarness.File(CloudHarness.Png(width + 1, height, alpha: true)), "mask", "m.png"); }

        using var response = await _cloud.OpenAiFormAsync(form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(param, (await CloudHarness.JsonOf(response))["error"]!["param"]!.GetValue<string>());
        Assert.Empty(_cloud.Server.Accepted);
    }

    [Theory]
    [InlineData(Rejection.Unauthorized, "gpt-image-1", 401, "invalid_request_error", "invalid_api_key")]
    [InlineData(Rejection.NoCredits, "gpt-image-1", 429, "insufficient_quota", "insufficient_quota")]
    [InlineData(Rejection.RateLimited, "gpt-image-1", 429, "requests", "rate_limit_exceeded")]
    [InlineData(Rejection.Moderated, "gpt-image-1", 400, "image_generation_user_error", "moderation_blocked")]
    [InlineData(Rejection.Moderated, "dall-e-3", 400, "invalid_request_error", "content_policy_violation")]
    [InlineData(Rejection.ServerError, "dall-e-3", 500, "server_error", null)]
    [InlineData(Rejection.Unavailable, "dall-e-3", 503, "server_error", null)]
    public async Task Faults_Reject_AnswersOpenAisRefusalAndBillsNothing(Rejection kind, string model, int status, string type, string? code)
    {
        _cloud.Server.Faults(CloudProvider.OpenAi).Reject = kind;
        _cloud.Server.Faults(CloudProvider.OpenAi).RetryAfterSeconds = 7;

        using var response = await _cloud.OpenAiAsync("/v1/images/generations", new JsonObject { ["model"] = model, ["prompt"] = "x" });

        Assert.Equal(status, (int)response.StatusCode);
        var error = (await CloudHarness.JsonOf(response))["error"]!;
        Assert.Equal(type, error["type"]!.GetValue<string>());
        Assert.Equal(code, error["code"]?.GetValue<string>());
        Assert.Equal(kind == Rejection.RateLimited ? "7" : null, response.Headers.TryGetValues("Retry-After", out var retry) ? retry.Single() : null);
        Assert.Empty(_cloud.Server.Accepted);
    }
}
