using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Components.Shared;

/// <summary>
/// The settings a generation page opens with when no <see cref="GenerationDrafts">draft</see> waits for it: the
/// person's last job of that mode, as they left it except that the batch count starts again at 1 (a new visit never
/// silently repeats a large batch); or, before their first job of that mode, an empty form with their default
/// checkpoint and size (<see cref="PersonalPreferences"/>).
/// </summary>
public sealed class StartingSettings(IDbContextFactory<DreamLayerDbContext> dbFactory, PersonalPreferences preferences, CurrentUser currentUser)
{
    /// <summary>For the person of this circuit.</summary>
    public async Task<GenerationRequest> ForAsync(GenerationMode mode, CancellationToken ct) =>
        await ForAsync((await currentUser.GetAsync()).Id, mode, ct);

    public async Task<GenerationRequest> ForAsync(string userId, GenerationMode mode, CancellationToken ct)
    {
        var name = mode.ToString();
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var last = await db.Jobs.AsNoTracking().Where(j => j.Mode == name && j.Owner == userId)
                .OrderByDescending(j => j.CreatedAt).FirstOrDefaultAsync(ct);
            if (last is not null)
            {
                return last.ReadRequest() with { BatchCount = 1 };
            }
        }
        var mine = await preferences.GetAsync(userId, ct);
        var fresh = new GenerationRequest { Mode = mode, Checkpoint = mine.DefaultCheckpoint ?? string.Empty };
        return mine is { DefaultWidth: { } width, DefaultHeight: { } height } ? fresh with { Width = width, Height = height } : fresh;
    }
}
