namespace DreamLayer.Web.Accounts;

/// <summary>
/// How the set-up gate (<see cref="AccountsExtensions.UseAccounts"/>) treats a page, put on the page itself
/// (<c>@attribute [AccountPage(AccountPageRole.Setup)]</c>), so that Accounts need not know the pages' types.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class AccountPageAttribute(AccountPageRole role) : Attribute
{
    public AccountPageRole Role { get; } = role;
}

public enum AccountPageRole
{
    /// <summary>Shown before and after setup alike (the error page).</summary>
    AlwaysOpen,

    /// <summary>The setup page: there only until the first admin exists.</summary>
    Setup,

    /// <summary>The register page: there only while admins let people create their own accounts.</summary>
    Register,
}
