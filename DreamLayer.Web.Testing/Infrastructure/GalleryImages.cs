using DreamLayer.Domain.Generation;
using DreamLayer.Domain.Jobs;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Tests.Infrastructure;

/// <summary>Images in a test app's gallery, made the way people make them: by a job run on the stand-in.</summary>
public static class GalleryImages
{
    /// <summary>Runs a small txt2img job of <paramref name="owner"/> (256×256, 2 steps) and returns its image's id.</summary>
    public static async Task<Guid> MakeAsync(DreamLayerApp app, TestUser owner, string prompt, string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(owner);
        var request = new GenerationRequest { Prompt = prompt, Checkpoint = checkpoint, Steps = 2, Width = 256, Height = 256 };
        if (await app.Get<JobQueue>().SubmitAsync(request, owner.Id, default) is not SubmitAccepted accepted)
        {
            throw new InvalidOperationException($"The job for '{prompt}' was refused.");
        }
        var events = app.Get<JobEvents>();
        await DreamLayerApp.WaitUntilAsync(() => events.TryGet(accepted.JobIds[0], out var p) && p.Status.IsTerminal(), "the job to finish");
        await using var db = app.CreateDbContext();
        return db.Images.Single(i => i.JobId == accepted.JobIds[0]).Id;
    }
}
