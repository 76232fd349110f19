using CloudStandIn;
using ComfyStandIn;
using DreamLayer.Web.Features.Img2Txt;
using DreamLayer.Web.Images;
using DreamLayer.Web.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// Img2Txt through the app against both stand-ins: the describers offered (OpenAI with the team's key, the WD14 Tagger
/// of a server that has it), a description from each, and hostile input refused in words.
/// </summary>
public sealed class Img2TxtTests : IAsyncLifetime
{
    private CloudStandInServer _cloud = null!;

    public async Task InitializeAsync() => _cloud = await CloudStandInServer.StartAsync(new CloudStandInOptions { Port = 0 });

    public async Task DisposeAsync() => await _cloud.DisposeAsync();

    private Dictionary<string, string?> Settings(bool openAiKey = true)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cloud:OpenAI:BaseUrl"] = new Uri(_cloud.BaseAddress, "v1").ToString(),
            ["Cloud:RequestTimeout"] = "00:00:30",
        };
        if (openAiKey)
        {
            settings["Keys:OpenAI"] = new CloudStandInOptions().Keys[CloudProvider.OpenAi];
        }
        return settings;
    }

    private static async Task<Guid> UploadAsync(DreamLayerApp app, Rgb24 colour)
    {
        using var image = new Image<Rgb24>(80, 60, colour);
        using var stream = new MemoryStream();
        await image.SaveAsPngAsync(stream);
        stream.Position = 0;
        return Assert.IsType<UploadAccepted>(await app.Get<UploadStore>().SaveAsync(stream, "red.png", default)).Id;
    }

    [Fact]
    public async Task Choices_OpenAiWithTheKey_AndTheTaggerOfTheServerThatHasIt()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings(), standInOptions: new StandInOptions { Wd14Tagger = true });

        var choices = await app.Get<ImageDescriptions>().ChoicesAsync(default);

        Assert.Equal(["OpenAI (gpt-4.1-mini)", $"WD14 Tagger 🐍 on {app.Backend.Name}"], choices.Select(c => c.Label));
        Assert.True(choices[0].TakesInstructions);
        Assert.False(choices[1].TakesInstructions);
    }

    [Fact]
    public async Task Choices_NoKeyAndNoCaptioner_None()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings(openAiKey: false));

        Assert.Empty(await app.Get<ImageDescriptions>().ChoicesAsync(default));
    }

    [Fact]
    public async Task Describe_WithTheServersTagger_TheTagsOfThePicture_OnePromptOnTheServer()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings(openAiKey: false), standInOptions: new StandInOptions { Wd14Tagger = true });
        var descriptions = app.Get<ImageDescriptions>();
        var tagger = Assert.Single(await descriptions.ChoicesAsync(default));
        var upload = await UploadAsync(app, new Rgb24(220, 20, 20));
        var before = app.StandIn!.PromptsAccepted;

        var result = await descriptions.DescribeAsync(tagger.Id, upload, instructions: null, default);

        var described = Assert.IsType<Described>(result);
        Assert.Equal("no_humans, red_theme, scenery, gradient_background, circle", described.Text);
        Assert.Equal($"WD14 Tagger 🐍 on {app.Backend.Name}", described.By);
        Assert.Equal(before + 1, app.StandIn.PromptsAccepted);
    }

    [Fact]
    public async Task Describe_WithOpenAi_TheInstructionsAreFollowed()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings());
        var upload = await UploadAsync(app, new Rgb24(20, 20, 220));

        var result = await app.Get<ImageDescriptions>().DescribeAsync(ImageDescriptions.OpenAiId, upload, "describe it as tags", default);

        var described = Assert.IsType<Described>(result);
        Assert.StartsWith("landscape, blue", described.Text, StringComparison.Ordinal);
        Assert.Equal("OpenAI gpt-4.1-mini", described.By);
        Assert.Single(_cloud.Accepted, a => a.Model == "gpt-4.1-mini");
    }

    [Fact]
    public async Task Describe_OpenAiOutOfQuota_SaidInWords()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings());
        var upload = await UploadAsync(app, new Rgb24(20, 20, 220));
        _cloud.Faults(CloudProvider.OpenAi).Reject = Rejection.NoCredits;

        var result = await app.Get<ImageDescriptions>().DescribeAsync(ImageDescriptions.OpenAiId, upload, null, default);

        Assert.Contains("quota or credit is used up", Assert.IsType<DescribeFailed>(result).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_HostileInput_RefusedInWords_NothingSent()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings(), standInOptions: new StandInOptions { Wd14Tagger = true });
        var descriptions = app.Get<ImageDescriptions>();
        var upload = await UploadAsync(app, new Rgb24(220, 20, 20));
        var tagger = (await descriptions.ChoicesAsync(default))[1];
        var prompts = app.StandIn!.PromptsAccepted;

        var huge = await descriptions.DescribeAsync(ImageDescriptions.OpenAiId, upload, new string('x', 1024 * 1024), default);
        var unknownUpload = await descriptions.DescribeAsync(ImageDescriptions.OpenAiId, Guid.NewGuid(), null, default);
        var unknownDescriber = await descriptions.DescribeAsync("comfy:../etc\npasswd", upload, null, default);
        var otherServer = await descriptions.DescribeAsync("comfy:no such server\nWD14Tagger|pysssss", upload, null, default);
        var notACaptioner = await descriptions.DescribeAsync(tagger.Id.Replace("WD14Tagger|pysssss", "SaveImage", StringComparison.Ordinal), upload, null, default);

        Assert.Contains("1,048,576 characters long; at most 2,000", Assert.IsType<DescribeFailed>(huge).Message, StringComparison.Ordinal);
        Assert.Contains("no longer stored", Assert.IsType<DescribeFailed>(unknownUpload).Message, StringComparison.Ordinal);
        Assert.Contains("not connected", Assert.IsType<DescribeFailed>(unknownDescriber).Message, StringComparison.Ordinal);
        Assert.Contains("no such server is not connected", Assert.IsType<DescribeFailed>(otherServer).Message, StringComparison.Ordinal);
        Assert.Contains("no longer has the captioning node SaveImage", Assert.IsType<DescribeFailed>(notACaptioner).Message, StringComparison.Ordinal);
        Assert.Empty(_cloud.Accepted);
        Assert.Equal(prompts, app.StandIn.PromptsAccepted);
    }

    [Fact]
    public async Task Describe_TheServerFailsTheNode_ItsErrorInWords()
    {
        await using var app = await DreamLayerApp.StartAsync(settings: Settings(openAiKey: false), standInOptions: new StandInOptions { Wd14Tagger = true });
        var descriptions = app.Get<ImageDescriptions>();
        var tagger = Assert.Single(await descriptions.ChoicesAsync(default));
        var upload = await UploadAsync(app, new Rgb24(220, 20, 20));
        app.StandIn!.Faults.FailAtNode = "2";

        var result = await descriptions.DescribeAsync(tagger.Id, upload, null, default);

        Assert.Contains("Stand-in fault injected at node 2", Assert.IsType<DescribeFailed>(result).Message, StringComparison.Ordinal);
    }
}
