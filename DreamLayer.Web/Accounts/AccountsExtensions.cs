using System.Globalization;
using System.Threading.RateLimiting;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Endpoints;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace DreamLayer.Web.Accounts;

public static class AccountsExtensions
{
    /// <summary>Identity on the app's database, the sign-in cookie, and a fallback policy: everything requires sign-in.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<AccountOptions>().BindConfiguration(AccountOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddCascadingAuthenticationState();
        services.AddScoped<AuthenticationStateProvider, RevalidatingUserStateProvider>();
        services.AddScoped<Microsoft.AspNetCore.Components.Server.Circuits.CircuitHandler, AccountCircuitHandler>();
        services.AddScoped<CurrentUser>();
        services.AddSingleton<AccountAccess>();
        services.AddSingleton<SetupState>();
        services.AddSingleton<SelfRegistration>();
        services.AddScoped<PasswordSignIn>();
        services.AddSingleton<DecoyPassword>();
        services.AddHostedService<DecoyPasswordWarmUp>();
        services.AddSingleton<PersonalPreferences>();
        services.AddSingleton<DisplayNames>();
        services.AddSingleton<AppSettings>();
        services.AddSingleton<ApiTokens>();

        services.AddAuthentication(o =>
        {
            o.DefaultScheme = IdentityConstants.ApplicationScheme;
            o.DefaultSignInScheme = IdentityConstants.ExternalScheme;
        }).AddScheme<AuthenticationSchemeOptions, ApiTokenHandler>(ApiAccess.Scheme, null).AddIdentityCookies();
        services.AddIdentityCore<DreamLayerUser>()
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<DreamLayerDbContext>()
            .AddUserManager<DreamLayerUserManager>()
            .AddSignInManager<DreamLayerSignInManager>()
            .AddClaimsPrincipalFactory<DreamLayerClaimsFactory>()
            .AddDefaultTokenProviders();
        services.AddOptions<IdentityOptions>().Configure<IOptions<AccountOptions>>((o, accounts) =>
        {
            // Length protects; composition rules mostly produce "Password1!".
            o.Password.RequiredLength = 8;
            o.Password.RequireDigit = false;
            o.Password.RequireLowercase = false;
            o.Password.RequireUppercase = false;
            o.Password.RequireNonAlphanumeric = false;
            o.Lockout.AllowedForNewUsers = true;
            o.Lockout.MaxFailedAccessAttempts = accounts.Value.MaxFailedSignIns;
            o.Lockout.DefaultLockoutTimeSpan = accounts.Value.LockoutDuration;
            o.User.RequireUniqueEmail = false;
        });
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = AccountPaths.SignIn;
            o.LogoutPath = AccountPaths.SignOut;
            o.AccessDeniedPath = AccountPaths.AccessDenied;
            o.Cookie.Name = "DreamLayer.Auth";
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Events.OnValidatePrincipal = ValidatePrincipalAsync;
            o.Events.OnRedirectToLogin = context => RedirectOrStatus(context, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = context => RedirectOrStatus(context, StatusCodes.Status403Forbidden);
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(Policies.Admin, p => p.RequireRole(Roles.Admin))
            .AddPolicy(ApiAccess.Policy, p => p.AddAuthenticationSchemes(ApiAccess.Scheme).RequireAuthenticatedUser());
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AccountOptions>>((o, accounts) => LimitSignIns(o, accounts.Value));
        return builder;
    }

    /// <summary>Until the first admin exists every page leads to setup; afterwards the setup page does not exist.</summary>
    public static WebApplication UseAccounts(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            var page = context.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>()?.Type;
            var role = page is null ? null : (Attribute.GetCustomAttribute(page, typeof(AccountPageAttribute)) as AccountPageAttribute)?.Role;
            if (page is null || role == AccountPageRole.AlwaysOpen)
            {
                await next(context);
                return;
            }
            var complete = await context.RequestServices.GetRequiredService<SetupState>().IsCompleteAsync(context.RequestAborted);
            if (role == AccountPageRole.Setup && complete)
            {
                // Gone for good: a person is sent into the app, anything else finds nothing.
                if (HttpMethods.IsGet(context.Request.Method))
                {
                    context.Response.Redirect("/");
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                }
                return;
            }
            if (role == AccountPageRole.Register && !await context.RequestServices.GetRequiredService<AppSettings>().AllowSelfRegistrationAsync(context.RequestAborted))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }
            if (role != AccountPageRole.Setup && !complete)
            {
                context.Response.Redirect(AccountPaths.Setup);
                return;
            }
            await next(context);
        });
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder app)
    {
        // A form post from the app bar. Binding a form field makes the endpoint validate the antiforgery token.
        app.MapPost(AccountPaths.SignOut, async ([FromForm] string? returnUrl, SignInManager<DreamLayerUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.LocalRedirect(AccountPaths.SignIn);
        });
        return app;
    }

    /// <summary>
    /// Guessing passwords is slowed per client address: a few posts to sign-in or register per window, then 429. The
    /// limit belongs to the endpoint (the pages carry <c>[EnableRateLimiting(SignInLimit.Policy)]</c>), so every spelling
    /// of the address that routes to them (a trailing slash, another case, escaped characters) counts against it.
    /// </summary>
    private static void LimitSignIns(RateLimiterOptions options, AccountOptions accounts)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.AddPolicy(SignInLimit.Policy, http =>
            HttpMethods.IsPost(http.Request.Method)
                ? RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown", _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = accounts.SignInAttempts,
                    Window = accounts.SignInWindow,
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(string.Empty));
        options.AddPolicy(ApiAccess.RateLimit, http => ApiAccess.Partition(http, accounts));
        options.OnRejected = async (context, ct) =>
        {
            if (context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == ApiAccess.RateLimit)
            {
                await ApiAccess.WriteTooManyRequestsAsync(context.HttpContext, context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var apiWait) ? apiWait : accounts.ApiWindow);
                return;
            }
            var response = context.HttpContext.Response;
            var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : accounts.SignInWindow;
            response.Headers.RetryAfter = Math.Ceiling(wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            response.ContentType = "text/html; charset=utf-8";
            var minutes = Words.Count((long)Math.Max(1, Math.Ceiling(wait.TotalMinutes)), "minute");
            await response.WriteAsync($$"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8" /><title>Too many attempts · DreamLayer</title><link href="/app.css" rel="stylesheet" /></head>
                <body><div class="dl-account"><main class="dl-account-card"><div class="dl-account-brand">DreamLayer</div>
                <h1>Too many attempts</h1>
                <p class="dl-account-error" role="alert" data-testid="account-message">Too many sign-in attempts from your address. Wait {{minutes}} and try again.</p>
                <p class="dl-account-links"><a href="{{AccountPaths.SignIn}}">Back to sign-in</a></p>
                </main></div></body></html>
                """, ct);
        };
    }

    private static async Task ValidatePrincipalAsync(CookieValidatePrincipalContext context)
    {
        var access = context.HttpContext.RequestServices.GetRequiredService<AccountAccess>();
        if (context.Principal is null || !await access.IsValidAsync(context.Principal, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
        }
    }

    /// <summary>Pages send people to sign in (or to "access denied"); other endpoints answer 401 or 403.</summary>
    private static Task RedirectOrStatus(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<ComponentTypeMetadata>() is null)
        {
            context.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The rate limit of the pages that take a password from someone not signed in (sign-in, register): one budget per
/// client address, shared by both. Put <c>@attribute [EnableRateLimiting(SignInLimit.Policy)]</c> on such a page.
/// </summary>
public static class SignInLimit
{
    public const string Policy = "sign-in";
}

/// <summary>Authorization policies for endpoints: <c>.RequireAuthorization(Policies.Admin)</c>.</summary>
public static class Policies
{
    public const string Admin = "Admin";
}

/// <summary>Where the account pages live.</summary>
public static class AccountPaths
{
    public const string SignIn = "/account/sign-in";
    public const string SignOut = "/account/sign-out";
    public const string Setup = "/setup";
    public const string AccessDenied = "/account/access-denied";
    public const string ChangePassword = "/account/password";
    public const string Register = "/account/register";

    /// <summary>A return address is followed only when it points into this app.</summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url : "/";
}
