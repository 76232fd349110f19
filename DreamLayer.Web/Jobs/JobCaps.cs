using System.Globalization;
using DreamLayer.Web.Accounts;
using DreamLayer.Web.Comfy;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Jobs;

/// <summary>The caps in force: the team default and the people who have their own.</summary>
public sealed record JobCapSnapshot(int TeamDefault, IReadOnlyDictionary<string, int> PerPerson)
{
    public int For(string owner) => PerPerson.TryGetValue(owner, out var cap) ? cap : TeamDefault;
}

/// <summary>
/// How many jobs one person may have on servers at once, set by admins: a team default (first from
/// <c>ComfyUi:MaxJobsPerUser</c>, then from the Users page) and, for some people, their own number. The dispatcher
/// reads the caps from memory on every round; a change is saved, replaces the snapshot and wakes the dispatcher, so a
/// raised cap lets waiting jobs go at once.
/// </summary>
public sealed class JobCaps(IDbContextFactory<DreamLayerDbContext> dbFactory, IOptions<ComfyUiOptions> options, JobSignal signal)
{
    public const int Min = 1;
    public const int Max = 1000;

    private const string TeamDefaultKey = "Queue.MaxJobsPerUser";

    private volatile JobCapSnapshot? _snapshot;
    private int _version;

    public async ValueTask<JobCapSnapshot> CurrentAsync(CancellationToken ct)
    {
        if (_snapshot is { } known)
        {
            return known;
        }
        var version = Volatile.Read(ref _version);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var stored = await db.Settings.AsNoTracking().Where(s => s.Key == TeamDefaultKey).Select(s => s.Value).SingleOrDefaultAsync(ct);
        var teamDefault = int.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : options.Value.MaxJobsPerUser;
        var perPerson = await db.Users.AsNoTracking().Where(u => u.MaxJobsInFlight != null)
            .ToDictionaryAsync(u => u.Id, u => u.MaxJobsInFlight!.Value, StringComparer.Ordinal, ct);
        var snapshot = new JobCapSnapshot(teamDefault, perPerson);
        // A change saved while this was read must not be hidden by the older values.
        if (Volatile.Read(ref _version) == version)
        {
            _snapshot = snapshot;
        }
        return snapshot;
    }

    public Task<string?> SetTeamDefaultAsync(SignedInUser actor, int cap, CancellationToken ct) =>
        ChangeAsync(actor, cap, async db =>
        {
            await AppSettings.WriteAsync(db, TeamDefaultKey, cap.ToString(CultureInfo.InvariantCulture), ct);
            return null;
        }, ct);

    /// <summary>Gives one person their own cap, or (null) puts them back on the team default.</summary>
    public Task<string?> SetForPersonAsync(SignedInUser actor, string userId, int? cap, CancellationToken ct) =>
        ChangeAsync(actor, cap, async db =>
        {
            var updated = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(u => u.SetProperty(x => x.MaxJobsInFlight, cap), ct);
            return updated == 0 ? "That account no longer exists." : null;
        }, ct);

    /// <returns>Null when done, otherwise what is wrong.</returns>
    private async Task<string?> ChangeAsync(SignedInUser actor, int? cap, Func<DreamLayerDbContext, Task<string?>> change, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins set how many jobs people may run at once.");
        }
        if (cap is < Min or > Max)
        {
            return $"Jobs at once must be between {Min} and {Max}.";
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var error = await change(db);
        // Read again on the next round, whatever happened: the database is the truth.
        Interlocked.Increment(ref _version);
        _snapshot = null;
        signal.Notify();
        return error;
    }
}
