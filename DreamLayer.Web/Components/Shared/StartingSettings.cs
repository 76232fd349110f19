using DreamLayer.Domain.Generation;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Data;
using DreamLayer.Web.Jobs;

namespace DreamLayer.Web.Components.Shared;

/// <summary>What a generation page opens with, and, when the last job's settings could not be read, why not.</summary>
public sealed record StartingPoint(GenerationRequest Request, string? Note = null);

/// <summary>
/// The settings a generation page opens with when no <see cref="GenerationDrafts">draft</see> waits for it: the
/// person's last job of that mode, as they left it except that the batch count starts again at 1 (a new visit never
/// silently repeats a large batch); or, before their first job of that mode (or when its stored settings no longer
/// read), an empty form with their default checkpoint and size (<see cref="PersonalPreferences"/>).
/// </summary>
public sealed class StartingSettings(JobHistory history, PersonalPreferences preferences, CurrentUser currentUser)
{
    /// <summary>For the person of this circuit.</summary>
    public async Task<StartingPoint> ForAsync(GenerationMode mode, CancellationToken ct) =>
        await ForAsync((await currentUser.GetAsync()).Id, mode, ct);

    public async Task<StartingPoint> ForAsync(string userId, GenerationMode mode, CancellationToken ct)
    {
        string? note = null;
        switch (await history.LastRequestAsync(userId, mode, ct))
        {
            case StoredRequestRead last:
                return new StartingPoint(last.Request with { BatchCount = 1 });
            case StoredRequestUnreadable unreadable:
                note = $"The form starts from the defaults: the settings of your last job could not be read. {unreadable.Reason}";
                break;
        }
        var mine = await preferences.GetAsync(userId, ct);
        var fresh = new GenerationRequest { Mode = mode, Checkpoint = mine.DefaultCheckpoint ?? string.Empty };
        return new StartingPoint(mine is { DefaultWidth: { } width, DefaultHeight: { } height } ? fresh with { Width = width, Height = height } : fresh, note);
    }
}
