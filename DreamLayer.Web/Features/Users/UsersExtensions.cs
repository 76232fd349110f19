namespace DreamLayer.Web.Features.Users;

public static class UsersExtensions
{
    /// <summary>What admins do on the Users page: roles, passwords, locking, per-person job caps.</summary>
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<UserAdministration>();
        return builder;
    }
}
