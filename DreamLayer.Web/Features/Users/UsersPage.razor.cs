using DreamLayer.Web.Accounts;
using MudBlazor;

namespace DreamLayer.Web.Features.Users;

/// <summary>Admins manage accounts: create, change role, disable or enable, reset password, delete; and self-registration.</summary>
public sealed partial class UsersPage
{
    private sealed class NewUser
    {
        public string UserName { get; set; } = string.Empty;
        public string DisplayName { get; set; } = string.Empty;
        public string Password { get; set; } = string.Empty;
        public string Role { get; set; } = Roles.Member;
    }

    private NewUser _new = new();
    private IReadOnlyList<UserRow>? _users;
    private SignedInUser? _self;
    private bool _selfRegistration;
    private int _teamDefault;
    private int _teamCap;
    private bool _busy;

    protected override async Task OnInitializedAsync()
    {
        _self = await CurrentUser.GetAsync();
        _selfRegistration = await Settings.AllowSelfRegistrationAsync(CancellationToken.None);
        await ReloadAsync();
        _teamCap = _teamDefault;
    }

    private async Task ReloadAsync()
    {
        _users = await Admin.ListAsync(_self!, CancellationToken.None);
        _teamDefault = (await Caps.CurrentAsync(CancellationToken.None)).TeamDefault;
    }

    private async Task CreateAsync()
    {
        var name = _new.UserName.Trim();
        await RunAsync(new UserAction($"Account {name} created.", (actor, ct) => Admin.CreateAsync(actor, name, _new.DisplayName, _new.Password, _new.Role, ct)));
        if (_users?.Any(u => u.UserName == name) == true)
        {
            _new = new NewUser();
        }
    }

    private async Task RunAsync(UserAction action)
    {
        _busy = true;
        try
        {
            var result = await action.Run(_self!, CancellationToken.None);
            Snackbar.Add(result.Error ?? action.Done, result.Succeeded ? Severity.Success : Severity.Error);
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private Task SetTeamCapAsync()
    {
        var cap = _teamCap;
        return RunAsync(new UserAction($"Everyone without their own number may now run {cap} job{(cap == 1 ? "" : "s")} at once.",
            async (actor, ct) => new UserChange(await Caps.SetTeamDefaultAsync(actor, cap, ct))));
    }

    private async Task SetSelfRegistrationAsync(bool allow)
    {
        await Settings.SetAllowSelfRegistrationAsync(_self!, allow, CancellationToken.None);
        _selfRegistration = allow;
        Snackbar.Add(allow ? "Self-registration is on: new people can create a Member account." : "Self-registration is off.", Severity.Success);
    }
}

/// <summary>An admin action on the Users page, with what to say when it is done.</summary>
public sealed record UserAction(string Done, Func<SignedInUser, CancellationToken, Task<UserChange>> Run);
