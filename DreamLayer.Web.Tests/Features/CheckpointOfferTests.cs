using Bunit;
using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Models;
using DreamLayer.Web.Features.Generation;
using DreamLayer.Web.Features.Txt2Img;
using DreamLayer.Web.Models;

namespace DreamLayer.Web.Tests.Features;

/// <summary>
/// A job asking for a checkpoint no server has: the form keeps it named, says so, and offers the admins' default of its
/// family (else the most used one of it, else the most used visible checkpoint) with one click to apply.
/// </summary>
public sealed class CheckpointOfferTests() : MudComponentTest(GenerationFormTests.AddFormServices)
{
    private const string Juggernaut = "sdxl/juggernaut.safetensors";
    private const string SdxlBase = "sdxl/base.safetensors";
    private const string Sd15 = "v1-5.safetensors";
    private const string Secret = "sdxl/secret.safetensors";
    private static readonly string[] Available = [Sd15, SdxlBase, Juggernaut, Secret];

    private static Dictionary<ModelKey, ModelUse> Uses(params (string Name, int Times)[] uses) =>
        uses.ToDictionary(u => new ModelKey("checkpoints", u.Name), u => new ModelUse(u.Times, null));

    /// <summary>The app once saw "old-xl" (its family was read), then it left every server.</summary>
    private static async Task<TestModelSettings> LibraryAsync()
    {
        var models = new TestModelSettings();
        await models.SetAsync(ModelKind.Checkpoints, "old-xl.safetensors", null, ModelFamily.Sdxl);
        await models.SetAsync(ModelKind.Checkpoints, Juggernaut, "Juggernaut XL", ModelFamily.Sdxl);
        await models.SetAsync(ModelKind.Checkpoints, SdxlBase, "SDXL base", ModelFamily.Sdxl);
        await models.SetAsync(ModelKind.Checkpoints, Sd15, null, ModelFamily.Sd15);
        await models.SetAsync(ModelKind.Checkpoints, Secret, "Secret XL", ModelFamily.Sdxl, hidden: true);
        return models;
    }

    [Fact]
    public async Task Offer_TheAdminsFamilyDefault_ElseTheMostUsedOfTheFamily_NeverAHiddenOne()
    {
        using var models = await LibraryAsync();
        var use = Uses((Secret, 99), (SdxlBase, 5), (Juggernaut, 2), (Sd15, 50));

        Assert.Null(ModelFallback.Choose(models.Settings, SdxlBase, Available, use)); // there: nothing to offer
        var mostUsed = ModelFallback.Choose(models.Settings, "old-xl.safetensors", Available, use)!;
        Assert.Equal((ModelFamily.Sdxl, SdxlBase, "SDXL base"), (mostUsed.Family, mostUsed.Replacement, mostUsed.ReplacementTitle));
        Assert.Equal("No server has the checkpoint old-xl.safetensors (SDXL); the most used SDXL checkpoint is SDXL base.", mostUsed.Message);

        Assert.Null(await models.Settings.SetFamilyDefaultAsync(TestModelSettings.Admin, new ModelKey("checkpoints", Juggernaut), true, default));
        // An image names its checkpoint without folder or extension: the family is still known.
        var byDefault = ModelFallback.Choose(models.Settings, "old-xl", Available, use)!;
        Assert.Equal(Juggernaut, byDefault.Replacement);
        Assert.Equal("No server has the checkpoint old-xl (SDXL); the admins' default SDXL checkpoint is Juggernaut XL.", byDefault.Message);

        var unknown = ModelFallback.Choose(models.Settings, "never-seen.ckpt", Available, use)!;
        Assert.Equal((ModelFamily.Unknown, Sd15), (unknown.Family, unknown.Replacement));
        Assert.Equal($"No server has the checkpoint never-seen.ckpt, and its family is not known; the default checkpoint is {Sd15}.", unknown.Message);
    }

    [Fact]
    public async Task FamilyDefault_IsOnePerFamily_ForAdminsOnly_AndReadBackAfterARestart()
    {
        using var models = await LibraryAsync();
        var settings = models.Settings;
        var member = TestModelSettings.Admin with { IsAdmin = false };

        Assert.Equal("Only an admin can change models.", await settings.SetFamilyDefaultAsync(member, new ModelKey("checkpoints", Juggernaut), true, default));
        Assert.Null(await settings.SetFamilyDefaultAsync(TestModelSettings.Admin, new ModelKey("checkpoints", Juggernaut), true, default));
        Assert.Null(await settings.SetFamilyDefaultAsync(TestModelSettings.Admin, new ModelKey("checkpoints", SdxlBase), true, default));
        Assert.Null(await settings.SetFamilyDefaultAsync(TestModelSettings.Admin, new ModelKey("checkpoints", Sd15), true, default));

        await settings.ReloadAsync(default);
        Assert.Equal(new Dictionary<ModelFamily, string> { [ModelFamily.Sdxl] = SdxlBase, [ModelFamily.Sd15] = Sd15 }, settings.FamilyDefaults);
        Assert.Null(await settings.SetFamilyDefaultAsync(TestModelSettings.Admin, new ModelKey("checkpoints", Sd15), false, default));
        Assert.Equal([ModelFamily.Sdxl], settings.FamilyDefaults.Keys);
    }

    [Fact]
    public async Task Form_MissingCheckpoint_IsKeptNamed_SaysSo_AndUseInsteadAppliesTheOfferWithItsDefaults()
    {
        using var models = await LibraryAsync();
        var limits = new GenerationLimits { Checkpoints = Available, Samplers = ["euler"], Schedulers = ["normal"] };
        var model = new Txt2ImgFormModel { Prompt = "a lighthouse", Checkpoint = "old-xl.safetensors", Width = 512, Height = 512 };
        model.FitTo(limits);
        Assert.Equal("old-xl.safetensors", model.Checkpoint); // not silently replaced

        var form = Render<GenerationForm>(p => p
            .Add(f => f.Model, model)
            .Add(f => f.Limits, limits)
            .Add(f => f.Models, models.Settings)
            .Add(f => f.OfferFor, (name, list) => Task.FromResult(ModelFallback.Choose(models.Settings, name, list, Uses((SdxlBase, 3)))))
            .Add(f => f.Results, _ => { }));

        form.WaitForAssertion(() => Assert.Contains("No server has the checkpoint old-xl.safetensors (SDXL)", form.Find("[data-testid=checkpoint-missing]").TextContent, StringComparison.Ordinal));
        var use = form.Find("[data-testid=checkpoint-use-instead]");
        Assert.Equal("Use SDXL base instead", use.TextContent.Trim());

        use.Click();

        form.WaitForAssertion(() => Assert.Empty(form.FindAll("[data-testid=checkpoint-missing]")));
        Assert.Equal(SdxlBase, model.Checkpoint);
        Assert.Equal((1024, 1024), (model.Width, model.Height)); // picked as if chosen in the list: its family's size
        Assert.Equal("SDXL base", form.Find("#checkpoint").GetAttribute("value"));
    }
}
