using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Accounts;

/// <summary>App-wide settings admins change in the UI, stored in the database (read once, then kept in memory).</summary>
public sealed class AppSettings(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    private const string SelfRegistrationKey = "Accounts.AllowSelfRegistration";
    private volatile StrongBox? _allowSelfRegistration;

    /// <summary>Whether people may create their own (Member) account on the register page. Off until an admin turns it on.</summary>
    public async ValueTask<bool> AllowSelfRegistrationAsync(CancellationToken ct)
    {
        if (_allowSelfRegistration is { } known)
        {
            return known.Value;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var value = await db.Settings.AsNoTracking().Where(s => s.Key == SelfRegistrationKey).Select(s => s.Value).SingleOrDefaultAsync(ct);
        var allow = value == "true";
        _allowSelfRegistration = new StrongBox(allow);
        return allow;
    }

    public async Task SetAllowSelfRegistrationAsync(SignedInUser actor, bool allow, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins change settings.");
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await WriteAsync(db, SelfRegistrationKey, allow ? "true" : "false", ct);
        _allowSelfRegistration = new StrongBox(allow);
    }

    /// <summary>Inserts or replaces one setting row and saves.</summary>
    internal static async Task WriteAsync(DreamLayerDbContext db, string key, string value, CancellationToken ct)
    {
        var row = await db.Settings.SingleOrDefaultAsync(s => s.Key == key, ct);
        if (row is null)
        {
            db.Settings.Add(row = new SettingEntity { Key = key });
        }
        row.Value = value;
        await db.SaveChangesAsync(ct);
    }

    private sealed record StrongBox(bool Value);
}
