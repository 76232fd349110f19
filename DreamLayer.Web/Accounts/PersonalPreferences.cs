using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Accounts;

/// <summary>What one person chose for themselves: the theme, and the checkpoint and size a generation page starts with.</summary>
public sealed record Preferences(bool DarkTheme, string? DefaultCheckpoint, int? DefaultWidth, int? DefaultHeight)
{
    public static Preferences Default { get; } = new(DarkTheme: true, null, null, null);
}

/// <summary>Reads and stores each person's <see cref="Preferences"/> in their account row; a person changes only their own.</summary>
public sealed class PersonalPreferences(IDbContextFactory<DreamLayerDbContext> dbFactory)
{
    public const int MaxCheckpointLength = DreamLayerUser.MaxDefaultCheckpointLength;
    public const int MinSize = 64;
    public const int MaxSize = 16_384;

    public async Task<Preferences> GetAsync(string userId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.Users.AsNoTracking().Where(u => u.Id == userId)
            .Select(u => new { u.Theme, u.DefaultCheckpoint, u.DefaultWidth, u.DefaultHeight }).SingleOrDefaultAsync(ct);
        return row is null
            ? Preferences.Default
            : new Preferences(row.Theme != "light", row.DefaultCheckpoint, row.DefaultWidth, row.DefaultHeight);
    }

    /// <summary>What is wrong with <paramref name="preferences"/>, in words; null when they can be stored.</summary>
    public static string? Problem(Preferences preferences)
    {
        ArgumentNullException.ThrowIfNull(preferences);
        if (preferences.DefaultCheckpoint is { Length: > MaxCheckpointLength })
        {
            return $"The checkpoint name is longer than {MaxCheckpointLength} characters.";
        }
        if (preferences.DefaultWidth is null != preferences.DefaultHeight is null)
        {
            return "Give both a width and a height, or neither.";
        }
        foreach (var (name, value) in new[] { ("width", preferences.DefaultWidth), ("height", preferences.DefaultHeight) })
        {
            if (value is { } v && (v < MinSize || v > MaxSize || v % 8 != 0))
            {
                return $"The default {name} must be a multiple of 8 from {MinSize} to {MaxSize}; {v} is not.";
            }
        }
        return null;
    }

    /// <summary>Stores <paramref name="preferences"/> for <paramref name="userId"/>; returns the problem instead when there is one.</summary>
    public async Task<string?> SaveAsync(string userId, Preferences preferences, CancellationToken ct)
    {
        if (Problem(preferences) is { } problem)
        {
            return problem;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var checkpoint = string.IsNullOrWhiteSpace(preferences.DefaultCheckpoint) ? null : preferences.DefaultCheckpoint;
        var changed = await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set
            .SetProperty(u => u.Theme, preferences.DarkTheme ? "dark" : "light")
            .SetProperty(u => u.DefaultCheckpoint, checkpoint)
            .SetProperty(u => u.DefaultWidth, preferences.DefaultWidth)
            .SetProperty(u => u.DefaultHeight, preferences.DefaultHeight), ct);
        return changed == 1 ? null : "This account no longer exists.";
    }

    /// <summary>Remembers the theme alone (the app bar's switch).</summary>
    public async Task SetThemeAsync(string userId, bool dark, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(set => set.SetProperty(u => u.Theme, dark ? "dark" : "light"), ct);
    }
}
