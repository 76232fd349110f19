using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Generation.Presets;
using DreamLayer.Web.Features.Presets;
using DreamLayer.Web.Tests.Features.Gallery;

namespace DreamLayer.Web.Tests.Features;

/// <summary>Who sees, applies, changes and deletes a saved preset, decided by the service whatever a page shows.</summary>
public sealed class TeamPresetsTests : IDisposable
{
    private static readonly PresetValues Sampling = new() { Sampler = "dpmpp_2m", Scheduler = "karras", Steps = 28, Cfg = 6 };
    private readonly GalleryDatabase _db = new();
    private readonly TeamPresets _presets;

    public TeamPresetsTests() => _presets = new TeamPresets(_db.Factory, TimeProvider.System);

    public void Dispose() => _db.Dispose();

    private async Task<Guid> SaveAsync(string name, bool shared) =>
        Assert.IsType<PresetSaved>(await _presets.CreateAsync(GalleryDatabase.Alice, name, shared, Sampling)).Id;

    private async Task<IReadOnlyList<string>> NamesSeenByAsync(DreamLayer.Web.Accounts.SignedInUser viewer) =>
        (await _presets.ListAsync(viewer)).Select(p => p.Name).ToList();

    [Fact]
    public async Task List_Anyone_SeesTheBuiltInsFirstAndNoneIsManageable()
    {
        var list = await _presets.ListAsync(GalleryDatabase.Admin);

        Assert.Equal(BuiltInPresets.All.Select(b => b.Name), list.Select(p => p.Name));
        Assert.All(list, p => Assert.True(p.Id is null && !p.CanManage));
    }

    [Fact]
    public async Task List_SharedPreset_IsSeenByTheTeamWithItsValues_PrivateOnlyByItsOwnerAndAdmins()
    {
        await SaveAsync("Alice shared", shared: true);
        await SaveAsync("Alice private", shared: false);

        Assert.Contains("Alice shared", await NamesSeenByAsync(GalleryDatabase.Bob));
        Assert.DoesNotContain("Alice private", await NamesSeenByAsync(GalleryDatabase.Bob));
        Assert.Contains("Alice private", await NamesSeenByAsync(GalleryDatabase.Alice));
        Assert.Contains("Alice private", await NamesSeenByAsync(GalleryDatabase.Admin));
        var seenByBob = Assert.Single(await _presets.ListAsync(GalleryDatabase.Bob), p => p.Name == "Alice shared");
        Assert.Equal(Sampling, seenByBob.Values);
        Assert.False(seenByBob.CanManage);
        Assert.Equal("Shared, by alice.", seenByBob.Summary);
    }

    [Fact]
    public async Task Change_MemberOnAnotherPersonsSharedPreset_IsRefusedAndChangesNothing()
    {
        var id = await SaveAsync("Alice shared", shared: true);

        Assert.Equal(TeamPresets.NotAllowed, Assert.IsType<PresetRefused>(await _presets.UpdateAsync(GalleryDatabase.Bob, id, "Bob's now", shared: false)).Message);
        Assert.Equal(TeamPresets.NotAllowed, Assert.IsType<PresetRefused>(await _presets.OverwriteAsync(GalleryDatabase.Bob, id, new PresetValues { Steps = 1 })).Message);
        Assert.Equal(TeamPresets.NotAllowed, Assert.IsType<PresetRefused>(await _presets.DeleteAsync(GalleryDatabase.Bob, id)).Message);

        var still = Assert.Single(await _presets.ListAsync(GalleryDatabase.Alice), p => p.Id == id);
        Assert.Equal(("Alice shared", true, Sampling), (still.Name, still.IsShared, still.Values));
    }

    [Fact]
    public async Task Change_MemberOnAnotherPersonsPrivatePreset_ReadsAsGone()
    {
        var id = await SaveAsync("Alice private", shared: false);

        Assert.Equal(TeamPresets.Gone, Assert.IsType<PresetRefused>(await _presets.UpdateAsync(GalleryDatabase.Bob, id, "x", shared: true)).Message);
        Assert.Equal(TeamPresets.Gone, Assert.IsType<PresetRefused>(await _presets.DeleteAsync(GalleryDatabase.Bob, id)).Message);
        Assert.Contains("Alice private", await NamesSeenByAsync(GalleryDatabase.Alice));
    }

    [Fact]
    public async Task Change_OwnerRenamesSharesOverwritesAndDeletes()
    {
        var id = await SaveAsync("Draft", shared: false);

        Assert.IsType<PresetSaved>(await _presets.UpdateAsync(GalleryDatabase.Alice, id, "  Team   draft ", shared: true));
        Assert.Contains("Team draft", await NamesSeenByAsync(GalleryDatabase.Bob));
        var replaced = new PresetValues { BatchSize = 1, TiledVae = true };
        Assert.IsType<PresetSaved>(await _presets.OverwriteAsync(GalleryDatabase.Alice, id, replaced));
        Assert.Equal(replaced, Assert.Single(await _presets.ListAsync(GalleryDatabase.Bob), p => p.Id == id).Values);

        Assert.IsType<PresetSaved>(await _presets.DeleteAsync(GalleryDatabase.Alice, id));
        Assert.DoesNotContain("Team draft", await NamesSeenByAsync(GalleryDatabase.Alice));
    }

    [Fact]
    public async Task Change_AdminMayChangeAndDeleteAnyonesPreset()
    {
        var id = await SaveAsync("Alice private", shared: false);

        Assert.IsType<PresetSaved>(await _presets.UpdateAsync(GalleryDatabase.Admin, id, "Checked", shared: true));
        Assert.IsType<PresetSaved>(await _presets.DeleteAsync(GalleryDatabase.Admin, id));
        Assert.DoesNotContain("Checked", await NamesSeenByAsync(GalleryDatabase.Alice));
    }

    [Theory]
    [InlineData("", "Give the preset a name.")]
    [InlineData("fast DRAFT", "'fast DRAFT' is a built-in preset; choose another name.")]
    public async Task Create_BadName_IsRefusedWithTheReason(string name, string message) =>
        Assert.Equal(message, Assert.IsType<PresetRefused>(await _presets.CreateAsync(GalleryDatabase.Alice, name, shared: true, Sampling)).Message);

    [Fact]
    public async Task Create_NothingChosenOrAFixedSeedThatIsNoNumber_IsRefused()
    {
        Assert.Equal("Choose at least one group of fields for the preset.",
            Assert.IsType<PresetRefused>(await _presets.CreateAsync(GalleryDatabase.Alice, "Empty", shared: false, PresetValues.Empty)).Message);
        Assert.StartsWith("The seed is fixed but not a number",
            Assert.IsType<PresetRefused>(await _presets.CreateAsync(GalleryDatabase.Alice, "Seed", shared: false, new PresetValues { Seed = new(SeedMode.Fixed) })).Message,
            StringComparison.Ordinal);
    }
}
