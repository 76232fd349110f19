using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using DreamLayer.Web.Data;
using Microsoft.EntityFrameworkCore;

namespace DreamLayer.Web.Accounts;

/// <summary>A token as its owner (or an admin) sees it in a list: never the token itself.</summary>
public sealed record ApiTokenRow(Guid Id, string OwnerId, string OwnerName, string Name, string Hint, DateTime CreatedAt, DateTime? ExpiresAt, DateTime? LastUsedAt)
{
    public bool IsExpired(DateTime now) => ExpiresAt is { } at && at <= now;
}

/// <summary>A token just made: <see cref="Token"/> is shown this once and stored nowhere.</summary>
public sealed record NewApiToken(ApiTokenRow Row, string Token);

/// <summary>The person a valid token acts as, which token it is, and when it expires (UTC; null: never).</summary>
public sealed record ApiTokenOwner(Guid TokenId, SignedInUser User, DateTime? ExpiresAt = null);

/// <summary>
/// Personal API tokens: made by their owner (a name, an optional expiry), shown once, stored only as the SHA-256 of the
/// token; listed to their owner (all of them to admins); revoked by their owner or an admin. A token acts as its owner:
/// a disabled or deleted account's tokens stop at once, a revoked one too, and an expired one is refused. What a valid
/// token stands for is kept in memory (as <see cref="AccountAccess"/> keeps sign-in stamps), so a script's requests do
/// not each read the database: forgotten at once when the token is revoked or its account changes (every change to a
/// user goes through <see cref="AccountAccess.Changed"/>), and read again at least every <see cref="RecheckAfter"/>.
/// The time of last use is written at most once a minute per token.
/// </summary>
public sealed class ApiTokens : IDisposable
{
    /// <summary>Every token starts with this, so a leaked one can be found by searching for it.</summary>
    public const string Prefix = "dl_";

    /// <summary>The random part: 256 bits.</summary>
    public const int SecretBytes = 32;

    /// <summary>The length of a token's text: the prefix and 32 bytes in base64url without padding.</summary>
    public static readonly int TokenLength = Prefix.Length + 43;

    /// <summary>The most tokens one person may have.</summary>
    public const int MaxPerPerson = 50;

    /// <summary>How often the time of last use is written for one token, at most.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>How long a valid token is taken on trust from memory before its row and account are read again.</summary>
    public static readonly TimeSpan RecheckAfter = TimeSpan.FromSeconds(30);

    /// <summary>More valid tokens in memory than this, and they are all forgotten (they are read again on their next use).</summary>
    private const int MaxRemembered = 10_000;

    private readonly IDbContextFactory<DreamLayerDbContext> _dbFactory;
    private readonly TimeProvider _clock;
    private readonly AccountAccess _access;
    private readonly ConcurrentDictionary<Guid, DateTime> _lastWritten = new();
    private readonly ConcurrentDictionary<string, Remembered> _valid = new(StringComparer.Ordinal);
    private readonly IDisposable _accountChanges;

    /// <summary>Moves on with every revocation and account change: a check read before one is not remembered after it.</summary>
    private long _generation;

    public ApiTokens(IDbContextFactory<DreamLayerDbContext> dbFactory, TimeProvider clock, AccountAccess access)
    {
        _dbFactory = dbFactory;
        _clock = clock;
        _access = access;
        _accountChanges = access.Subscribe(Forget);
    }

    public void Dispose() => _accountChanges.Dispose();

    /// <summary>A valid token as last read: who it acts as, and when that was read (UTC).</summary>
    private sealed record Remembered(ApiTokenOwner Owner, DateTime ReadAt);

    /// <summary>Forgets every token of <paramref name="userId"/>'s: their account changed (disabled, deleted, role, password) or one was revoked.</summary>
    private void Forget(string userId)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, remembered) in _valid)
        {
            if (string.Equals(remembered.Owner.User.Id, userId, StringComparison.Ordinal))
            {
                _valid.TryRemove(hash, out _);
            }
        }
    }

    /// <summary>Makes a token for <paramref name="owner"/>; the error in words when the name or expiry will not do.</summary>
    public async Task<(NewApiToken? Token, string? Error)> CreateAsync(SignedInUser owner, string? name, DateTime? expiresAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var trimmed = name?.Trim() ?? string.Empty;
        var now = _clock.GetUtcNow().UtcDateTime;
        if (trimmed.Length == 0)
        {
            return (null, "Give the token a name, such as the script or machine that will use it.");
        }
        if (trimmed.Length > ApiTokenEntity.MaxNameLength)
        {
            return (null, $"A token's name has at most {ApiTokenEntity.MaxNameLength} characters.");
        }
        if (expiresAt is { } expiry && expiry <= now)
        {
            return (null, "The expiry must be in the future.");
        }
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        if (await db.ApiTokens.CountAsync(t => t.OwnerId == owner.Id, ct) >= MaxPerPerson)
        {
            return (null, $"You have {MaxPerPerson} tokens, the most one person may have. Revoke one you no longer use first.");
        }
        var token = Prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(SecretBytes));
        var entity = new ApiTokenEntity
        {
            Id = Guid.NewGuid(),
            OwnerId = owner.Id,
            Name = trimmed,
            Hash = HashOf(token),
            Hint = token[..(Prefix.Length + 4)],
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        db.ApiTokens.Add(entity);
        await db.SaveChangesAsync(ct);
        return (new NewApiToken(new ApiTokenRow(entity.Id, owner.Id, owner.DisplayName, entity.Name, entity.Hint, now, expiresAt, null), token), null);
    }

    /// <summary>The tokens <paramref name="viewer"/> may see: their own, or everyone's for an admin with <paramref name="everyone"/>.</summary>
    public async Task<IReadOnlyList<ApiTokenRow>> ListAsync(SignedInUser viewer, bool everyone, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(viewer);
        if (everyone && !viewer.IsAdmin)
        {
            throw new UnauthorizedAccessException("Only admins see everyone's tokens.");
        }
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var tokens = everyone ? db.ApiTokens : db.ApiTokens.Where(t => t.OwnerId == viewer.Id);
        var rows = await (from t in tokens.AsNoTracking()
                          join u in db.Users on t.OwnerId equals u.Id
                          orderby t.CreatedAt descending
                          select new ApiTokenRow(t.Id, t.OwnerId, u.DisplayName.Length > 0 ? u.DisplayName : u.UserName ?? u.Id, t.Name, t.Hint, t.CreatedAt, t.ExpiresAt, t.LastUsedAt))
            .ToListAsync(ct);
        return rows;
    }

    /// <summary>Revokes a token of the actor's (any token for an admin); false when there is no such token they may revoke.</summary>
    public async Task<bool> RevokeAsync(SignedInUser actor, Guid tokenId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var mine = db.ApiTokens.Where(t => t.Id == tokenId);
        if (!actor.IsAdmin)
        {
            mine = mine.Where(t => t.OwnerId == actor.Id);
        }
        if (await mine.Select(t => t.OwnerId).SingleOrDefaultAsync(ct) is not { } owner || await mine.ExecuteDeleteAsync(ct) == 0)
        {
            return false;
        }
        _lastWritten.TryRemove(tokenId, out _);
        Forget(owner);
        // What is already connected with the token (a hub connection, a socket) checks it again now and ends.
        _access.Changed(owner);
        return true;
    }

    /// <summary>
    /// The person <paramref name="token"/> acts as, or null when it is not a token of an enabled account, has expired or
    /// was revoked. A valid token is read from the database on its first use, then taken from memory (its expiry checked
    /// on each use) until it is revoked, its account changes, or <see cref="RecheckAfter"/> has passed; the time of last
    /// use is written at most once a minute.
    /// </summary>
    public async Task<ApiTokenOwner?> AuthenticateAsync(string token, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!LooksLikeToken(token))
        {
            return null;
        }
        var hash = HashOf(token);
        var now = _clock.GetUtcNow().UtcDateTime;
        if (!_valid.TryGetValue(hash, out var remembered) || now - remembered.ReadAt >= RecheckAfter || now < remembered.ReadAt)
        {
            var generation = Interlocked.Read(ref _generation);
            var read = await ReadAsync(hash, ct);
            if (read is null)
            {
                _valid.TryRemove(hash, out _);
                return null;
            }
            remembered = new Remembered(read, now);
            if (Interlocked.Read(ref _generation) == generation)
            {
                if (_valid.Count >= MaxRemembered)
                {
                    _valid.Clear();
                }
                _valid[hash] = remembered;
            }
        }
        var owner = remembered.Owner;
        if (owner.ExpiresAt is { } expiry && expiry <= now)
        {
            return null;
        }
        if (!_lastWritten.TryGetValue(owner.TokenId, out var written) || now - written >= LastUsedResolution)
        {
            _lastWritten[owner.TokenId] = now;
            await using var db = await _dbFactory.CreateDbContextAsync(ct);
            await db.ApiTokens.Where(t => t.Id == owner.TokenId).ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now), ct);
        }
        return owner;
    }

    /// <summary>The token whose hash is <paramref name="hash"/> and its account as stored now; null when there is none or its account is disabled.</summary>
    private async Task<ApiTokenOwner?> ReadAsync(string hash, CancellationToken ct)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var found = await (from t in db.ApiTokens.AsNoTracking()
                           join u in db.Users on t.OwnerId equals u.Id
                           where t.Hash == hash
                           select new
                           {
                               t.Id,
                               t.ExpiresAt,
                               u.IsDisabled,
                               UserId = u.Id,
                               u.UserName,
                               u.DisplayName,
                               IsAdmin = db.UserRoles.Any(r => r.UserId == u.Id && r.RoleId == RoleIds.Admin),
                           }).SingleOrDefaultAsync(ct);
        if (found is null || found.IsDisabled)
        {
            return null;
        }
        var userName = found.UserName ?? found.UserId;
        return new ApiTokenOwner(found.Id, new SignedInUser(found.UserId, userName, found.DisplayName.Length > 0 ? found.DisplayName : userName, found.IsAdmin), found.ExpiresAt);
    }

    /// <summary>
    /// True while token <paramref name="tokenId"/> still works: not revoked, not expired, its account enabled. For what
    /// stays open after one check (a hub connection), checked again when the account changes.
    /// </summary>
    public async Task<bool> IsActiveAsync(Guid tokenId, CancellationToken ct)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await (from t in db.ApiTokens
                      join u in db.Users on t.OwnerId equals u.Id
                      where t.Id == tokenId && !u.IsDisabled && (t.ExpiresAt == null || t.ExpiresAt > now)
                      select t.Id).AnyAsync(ct);
    }

    /// <summary>True for text shaped as a token (prefix, length, base64url characters); says nothing about validity.</summary>
    public static bool LooksLikeToken(string text) =>
        text.Length == TokenLength && text.StartsWith(Prefix, StringComparison.Ordinal)
        && text.AsSpan(Prefix.Length).IndexOfAnyExcept(Base64UrlCharacters) < 0;

    private static readonly System.Buffers.SearchValues<char> Base64UrlCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    /// <summary>The SHA-256 of a token's text as lower-case hex: what is stored, and what rate limits count by.</summary>
    public static string HashOf(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
