using DreamLayer.Domain.Models;

namespace DreamLayer.Web.Tests.Domain;

/// <summary>The family a header's metadata names (kohya's and the model spec's keys), and what picking a family's model sets.</summary>
public sealed class ModelFamiliesTests
{
    [Theory]
    [InlineData("modelspec.architecture", "stable-diffusion-v1", ModelFamily.Sd15)]
    [InlineData("modelspec.architecture", "stable-diffusion-v2-768-v", ModelFamily.Sd2)]
    [InlineData("modelspec.architecture", "stable-diffusion-xl-v1-base/lora", ModelFamily.Sdxl)]
    [InlineData("modelspec.architecture", "stable-diffusion-v3-medium", ModelFamily.Sd3)]
    [InlineData("modelspec.architecture", "flux-1-dev/lora", ModelFamily.Flux)]
    [InlineData("ss_base_model_version", "sd_v1", ModelFamily.Sd15)]
    [InlineData("ss_base_model_version", "sdxl_base_v1-0", ModelFamily.Sdxl)]
    [InlineData("ss_base_model_version", "flux1", ModelFamily.Flux)]
    [InlineData("ss_v2", "True", ModelFamily.Sd2)]
    [InlineData("ss_v2", "False", ModelFamily.Unknown)]
    [InlineData("modelspec.title", "anything", ModelFamily.Unknown)]
    public void FromMetadata_ReadsTheKnownKeys(string key, string value, ModelFamily expected)
    {
        Assert.Equal(expected, ModelFamilies.FromMetadata(new Dictionary<string, string> { [key] = value }));
    }

    [Fact]
    public void FromTensorNames_SaysUnknownForNamesOfNoKnownArchitecture()
    {
        Assert.Equal(ModelFamily.Unknown, ModelFamilies.FromTensorNames(["model.0.weight", "body.1.conv.weight"]));
    }

    [Fact]
    public void TriggerPhrase_WinsOverTagFrequencies_AndBadJsonProposesNothing()
    {
        Assert.Equal(["ohwx", "red scarf"], ModelFamilies.ProposedTriggerWords(new Dictionary<string, string>
        {
            ["modelspec.trigger_phrase"] = "ohwx, red scarf",
            ["ss_tag_frequency"] = """{"a": {"other": 9}}""",
        }));
        Assert.Empty(ModelFamilies.ProposedTriggerWords(new Dictionary<string, string> { ["ss_tag_frequency"] = "{not json" }));
    }

    [Theory]
    [InlineData(ModelFamily.Sd15, 512)]
    [InlineData(ModelFamily.Sd2, 768)]
    [InlineData(ModelFamily.Sdxl, 1024)]
    [InlineData(ModelFamily.Flux, 1024)]
    public void NativeSize_IsTheFamilysTrainingSize(ModelFamily family, int size)
    {
        Assert.Equal(size, family.NativeSize());
        Assert.Null(ModelFamily.Unknown.NativeSize());
    }

    [Fact]
    public void ShortHash_IsA1111sTenDigits()
    {
        Assert.Equal("6ce0161689", ModelFamilies.ShortHash("6ce0161689b3853acaa03779ec93eafe75a02f4ced659bee03f50797806fa2fa"));
    }
}
