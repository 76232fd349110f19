namespace DreamLayer.Web.Accounts;

/// <summary>The two roles. Every account has exactly one of them.</summary>
public static class Roles
{
    public const string Admin = "Admin";
    public const string Member = "Member";

    public static IReadOnlyList<string> All { get; } = [Admin, Member];
}
