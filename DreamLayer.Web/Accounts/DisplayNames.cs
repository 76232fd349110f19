using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Accounts;

/// <summary>The names people are shown by: their display name, else their user name, else their id.</summary>
public sealed class DisplayNames(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    /// <summary>Every account's shown name by id (a team has few accounts).</summary>
    public async Task<Dictionary<string, string>> AllAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking()
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName.Length > 0 ? u.DisplayName : u.UserName ?? u.Id, StringComparer.Ordinal, ct);
    }
}
