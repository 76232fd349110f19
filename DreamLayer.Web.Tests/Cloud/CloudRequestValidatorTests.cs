using DreamLayer.Web.Cloud;
using DreamLayer.Web.Cloud.Bfl;
using DreamLayer.Web.Cloud.Ideogram;
using DreamLayer.Web.Cloud.OpenAi;

namespace DreamLayer.Web.Tests.Cloud;

/// <summary>What each provider's models take, checked before anything is sent: every problem at once, naming its field.</summary>
public sealed class CloudRequestValidatorTests
{
    private static IReadOnlyList<CloudFieldError> OpenAi(CloudImageRequest request) => CloudRequestValidator.Validate(request, OpenAiCatalog.Models, "OpenAI");

    private static IReadOnlyList<CloudFieldError> Ideogram(CloudImageRequest request) => CloudRequestValidator.Validate(request, IdeogramCatalog.Models, "Ideogram");

    private static IReadOnlyList<CloudFieldError> Bfl(CloudImageRequest request) => CloudRequestValidator.Validate(request, BflCatalog.Models, "BFL");

    private static Dictionary<string, string> Options(params (string Name, string Value)[] options) => options.ToDictionary(o => o.Name, o => o.Value);

    [Fact]
    public void Validate_EachModelWithItsDefaults_NoErrors()
    {
        foreach (var model in OpenAiCatalog.Models.Concat(IdeogramCatalog.Models).Concat(BflCatalog.Models))
        {
            var models = model.Provider switch
            {
                CloudProviderId.OpenAi => OpenAiCatalog.Models,
                CloudProviderId.Ideogram => IdeogramCatalog.Models,
                _ => BflCatalog.Models,
            };
            Assert.Empty(CloudRequestValidator.Validate(new CloudImageRequest(model.Id, "a lighthouse"), models, "x"));
            Assert.False(string.IsNullOrEmpty(model.ApiVersion));
        }
    }

    [Fact]
    public void Validate_UnknownModel_ListsTheProvidersModels()
    {
        var error = Assert.Single(OpenAi(new CloudImageRequest("dall-e-4", "a fox")));

        Assert.Equal(CloudRequestValidator.ModelField, error.Field);
        Assert.Equal("OpenAI has no model 'dall-e-4'; it has gpt-image-1, dall-e-3 or dall-e-2.", error.Message);
    }

    [Fact]
    public void Validate_SizeTheModelDoesNotMake_NamesTheSizesItMakes()
    {
        var error = Assert.Single(OpenAi(new CloudImageRequest("dall-e-2", "a fox") { Size = "1792x1024" }));

        Assert.Equal(CloudRequestValidator.SizeField, error.Field);
        Assert.Equal("DALL·E 2 makes 256x256, 512x512 or 1024x1024, not 1792x1024.", error.Message);
    }

    [Fact]
    public void Validate_OpenAiWithSeedNegativeAndTooMany_EveryProblemAtOnce()
    {
        var errors = OpenAi(new CloudImageRequest("dall-e-3", "a fox") { Seed = 7, NegativePrompt = "blur", Count = 2 });

        Assert.Equal([CloudRequestValidator.NegativeField, CloudRequestValidator.SeedField, CloudRequestValidator.CountField], errors.Select(e => e.Field));
        Assert.Contains("DALL·E 3 takes no seed", errors[1].Message, StringComparison.Ordinal);
        Assert.Equal("DALL·E 3 makes one picture per request, not 2.", errors[2].Message);
    }

    [Fact]
    public void Validate_PromptLongerThanTheModelTakes_SaysBothLengths()
    {
        var error = Assert.Single(OpenAi(new CloudImageRequest("dall-e-2", new string('a', 1001))));

        Assert.Equal("DALL·E 2 takes prompts of at most 1,000 characters; this one has 1,001.", error.Message);
    }

    [Fact]
    public void Validate_OptionsOutsideTheirLists_NameTheOptionAndItsValues()
    {
        var errors = OpenAi(new CloudImageRequest("gpt-image-1", "a fox")
        {
            Options = Options(("quality", "ultra"), ("output_compression", "101"), ("style", "vivid")),
        });

        Assert.Equal(3, errors.Count);
        Assert.Equal("Quality: gpt-image-1 takes auto, low, medium or high, not 'ultra'.", errors[0].Message);
        Assert.Equal("Compression: gpt-image-1 takes a whole number from 0 to 100, not '101'.", errors[1].Message);
        Assert.StartsWith("gpt-image-1 has no option 'style'; it takes quality, background,", errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TransparentJpeg_RefusedForTheBackground()
    {
        var error = Assert.Single(OpenAi(new CloudImageRequest("gpt-image-1", "a fox") { Options = Options(("background", "transparent"), ("output_format", "jpeg")) }));

        Assert.Equal("Background", error.Field);
    }

    [Fact]
    public void Validate_IdeogramSizeAndAspectRatioTogether_OneOrTheOther()
    {
        var error = Assert.Single(Ideogram(new CloudImageRequest(IdeogramCatalog.ModelId, "a sign") { Size = "1024x1024", AspectRatio = "16:9" }));

        Assert.Equal("Ideogram 3.0 takes a size or an aspect ratio, not both.", error.Message);
    }

    [Fact]
    public void Validate_IdeogramSeedAndCountOutOfRange_Refused()
    {
        var errors = Ideogram(new CloudImageRequest(IdeogramCatalog.ModelId, "a sign") { Seed = 2_147_483_648, Count = 9, AspectRatio = "7:5" });

        Assert.Equal([CloudRequestValidator.SeedField, CloudRequestValidator.CountField, CloudRequestValidator.AspectField], errors.Select(e => e.Field));
        Assert.Equal("Ideogram 3.0 takes seeds from 0 to 2,147,483,647, not 2,147,483,648.", errors[0].Message);
        Assert.Equal("Ideogram 3.0 makes 1 to 8 pictures per request, not 9.", errors[1].Message);
    }

    [Theory]
    [InlineData("1000x768")]
    [InlineData("1472x1024")]
    [InlineData("224x224")]
    [InlineData("wide")]
    public void Validate_Flux11SizeOffItsGrid_SaysTheRule(string size)
    {
        var error = Assert.Single(Bfl(new CloudImageRequest("flux-pro-1.1", "a fox") { Size = size }));

        Assert.Equal($"FLUX 1.1 [pro] takes widths and heights from 256 to 1440 pixels in steps of 32 (such as 1024x768), not {size}.", error.Message);
    }

    [Theory]
    [InlineData("21:9", true)]
    [InlineData("9:21", true)]
    [InlineData("1:1", true)]
    [InlineData("32:9", false)]
    [InlineData("16-9", false)]
    public void Validate_UltraAspectRatio_Between21To9And9To21(string aspect, bool valid)
    {
        var errors = Bfl(new CloudImageRequest("flux-pro-1.1-ultra", "a fox") { AspectRatio = aspect, Options = Options(("raw", "true"), ("safety_tolerance", "6")) });

        Assert.Equal(valid, errors.Count == 0);
    }

    [Fact]
    public void Validate_FluxOptions_ToleranceRangeFlagsAndSizing()
    {
        var errors = Bfl(new CloudImageRequest("flux-pro-1.1", "a fox")
        {
            AspectRatio = "16:9",
            Options = Options(("safety_tolerance", "7"), ("prompt_upsampling", "yes"), ("raw", "true")),
        });

        Assert.Equal(4, errors.Count);
        Assert.Equal("FLUX 1.1 [pro] is sized in pixels, not by aspect ratio; choose a size.", errors[0].Message);
        Assert.Equal("Safety tolerance: FLUX 1.1 [pro] takes a whole number from 0 to 6, not '7'.", errors[1].Message);
        Assert.Equal("Prompt upsampling: FLUX 1.1 [pro] takes true or false, not 'yes'.", errors[2].Message);
        Assert.StartsWith("FLUX 1.1 [pro] has no option 'raw'", errors[3].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CloudKey_AsText_NeverShowsTheKey()
    {
        var key = new CloudKey("sk-secret-value-1234");

        Assert.Equal("••••", key.ToString());
        Assert.DoesNotContain("secret", $"{new { Key = key }}", StringComparison.Ordinal);
    }
}
