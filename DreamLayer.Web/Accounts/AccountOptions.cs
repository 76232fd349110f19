using System.ComponentModel.DataAnnotations;

namespace DreamLayer.Web.Accounts;

/// <summary>The <c>Accounts</c> section: how sign-in is guarded.</summary>
public sealed class AccountOptions
{
    public const string SectionName = "Accounts";

    /// <summary>How often an open page checks that its user may still use the app (admin changes are seen at once).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RevalidationInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Wrong passwords in a row before an account is locked.</summary>
    [Range(1, 100)]
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account waits.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Sign-in (and register) posts one client address may make per <see cref="SignInWindow"/>.</summary>
    [Range(1, 10_000)]
    public int SignInAttempts { get; set; } = 10;

    /// <summary>The window <see cref="SignInAttempts"/> counts in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SignInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Requests one API token (or one browser address) may make per <see cref="ApiWindow"/>; then 429.</summary>
    [Range(1, 1_000_000)]
    public int ApiRequests { get; set; } = 120;

    /// <summary>The window <see cref="ApiRequests"/> counts in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan ApiWindow { get; set; } = TimeSpan.FromMinutes(1);
}
