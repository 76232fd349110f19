using Microsoft.AspNetCore.Identity;

namespace DreamLayer.Web.Data;

/// <summary>A person who signs in. Jobs and images are owned by <see cref="IdentityUser.Id"/>.</summary>
public sealed class DreamLayerUser : IdentityUser
{
    /// <summary>The name shown in the app bar and next to what this person made.</summary>
    public string DisplayName { get; set; } = string.Empty;

    /// <summary>A disabled account cannot sign in, and its open sessions end.</summary>
    public bool IsDisabled { get; set; }

    public DateTime CreatedAt { get; set; }

    /// <summary>Most jobs this person may have on servers at once; null means the team default.</summary>
    public int? MaxJobsInFlight { get; set; }

    /// <summary>"light" or "dark", as this person last chose; null until they choose (the app starts dark).</summary>
    public string? Theme { get; set; }

    /// <summary>Longest <see cref="DefaultCheckpoint"/> the column holds.</summary>
    public const int MaxDefaultCheckpointLength = 512;

    /// <summary>The checkpoint a generation page starts with when this person has no earlier job of that mode.</summary>
    public string? DefaultCheckpoint { get; set; }

    /// <summary>The size a generation page starts with when this person has no earlier job of that mode (both or neither).</summary>
    public int? DefaultWidth { get; set; }

    public int? DefaultHeight { get; set; }
}

/// <summary>The fixed ids of the two roles (<c>Accounts/Roles.cs</c> names them; the migration creates their rows).</summary>
public static class RoleIds
{
    public const string Admin = "role-admin";
    public const string Member = "role-member";
}
