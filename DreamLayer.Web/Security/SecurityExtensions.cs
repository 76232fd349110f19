using System.Net;
using System.Security.Cryptography.X509Certificates;
using DreamLayer.Web.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;

namespace DreamLayer.Web.Security;

/// <summary>
/// What protects the app as a whole: owner-only files (<see cref="FilePermissions"/>), the client's real address and
/// scheme from a trusted reverse proxy, the Data Protection key ring (which signs the sign-in cookie and antiforgery
/// tokens) kept with the data, and the security headers of every response.
/// </summary>
public static class SecurityExtensions
{
    /// <summary>
    /// The Content-Security-Policy of every response. Scripts come only from the app itself (Blazor's and MudBlazor's
    /// files, the components' modules); MudBlazor sets inline styles, so styles may be inline; images may be data: and
    /// blob: URLs (live previews, the mask canvas); the circuit's WebSocket is same-origin. Nothing may frame the app
    /// except itself, no plugin runs, and forms post only to the app. The one page with an inline script, the API
    /// reference (<c>/api/docs</c>), gets a fresh nonce for it on each response.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

    /// <summary>Pages send no address to other sites (the app's URLs carry image ids).</summary>
    public const string ReferrerPolicy = "same-origin";

    /// <summary>
    /// The name the key ring is bound to: the same for every copy of the app on the data folder, whatever its install path,
    /// and different from every other ASP.NET app.
    /// </summary>
    public const string ApplicationName = "DreamLayer";

    public static IHostApplicationBuilder AddSecurity(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // First of all, before logging or the database create a file.
        FilePermissions.Restrict(builder.Configuration, builder.Environment.ContentRootPath);
        var proxies = TrustedProxies.Read(builder.Configuration);
        builder.Services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var address in proxies.Addresses)
            {
                o.KnownProxies.Add(address);
            }
            foreach (var network in proxies.Networks)
            {
                o.KnownIPNetworks.Add(network);
            }
        });
        AddKeyRing(builder);
        builder.Services.AddSingleton<ProviderKeys>();
        builder.Services.AddSingleton<ApiNodeKeys>();
        builder.Services.AddOptions<KeyCheckOptions>().BindConfiguration(KeyCheckOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.BaseUrls.Values.All(u => Uri.TryCreate(u, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"),
                $"Every {KeyCheckOptions.SectionName}:BaseUrls entry must be a whole http:// or https:// address.")
            .ValidateOnStart();
        // The key goes only to the configured address: no redirect is followed (a custom key header would go along),
        // and the client has no request log.
        builder.Services.AddHttpClient(KeyChecks.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.All })
            .RemoveAllLoggers();
        builder.Services.AddSingleton<KeyChecks>();
        return builder;
    }

    /// <summary>First in the pipeline: the real client (from a trusted proxy), then the headers every response carries.</summary>
    public static WebApplication UseSecurity(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // Set as the response starts, so that error pages (whose handler clears the headers) carry them too.
            context.Response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                var headers = response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.ContentSecurityPolicy = response.HttpContext.Items[Scalar.AspNetCore.ScalarOptions.NonceHttpContextItemKey] is string nonce
                    ? ContentSecurityPolicy.Replace("script-src 'self'", $"script-src 'self' 'nonce-{nonce}'", StringComparison.Ordinal)
                    : ContentSecurityPolicy;
                headers["Referrer-Policy"] = ReferrerPolicy;
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
        return app;
    }

    /// <summary>
    /// The key ring lives under the data folder (<c>keys/</c>, or <c>DataProtection:KeysDirectory</c>), owner-only like
    /// the rest, bound to <see cref="ApplicationName"/>; with <c>DataProtection:CertificatePath</c> (a PFX, with
    /// <c>CertificatePassword</c>) or <c>CertificateThumbprint</c> (a certificate in the user's or machine's store) the
    /// keys are encrypted with that certificate.
    /// </summary>
    private static void AddKeyRing(IHostApplicationBuilder builder)
    {
        var config = builder.Configuration.GetSection(KeyRingSettings.SectionName).Get<KeyRingSettings>() ?? new KeyRingSettings();
        var storage = builder.Configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions();
        var data = StoragePaths.Resolve(storage, builder.Environment.ContentRootPath).DataDirectory;
        var keys = Path.GetFullPath(config.KeysDirectory ?? Path.Combine(data, "keys"), builder.Environment.ContentRootPath);
        var protection = builder.Services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(keys));
        if (!string.IsNullOrEmpty(config.CertificatePath))
        {
            var path = Path.GetFullPath(config.CertificatePath, builder.Environment.ContentRootPath);
            if (!File.Exists(path))
            {
                throw new InvalidOperationException($"DataProtection:CertificatePath names {path}, which does not exist.");
            }
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, config.CertificatePassword);
            if (!certificate.HasPrivateKey)
            {
                throw new InvalidOperationException($"The certificate in {path} has no private key; the key ring could not be read back with it.");
            }
            protection.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }
        else if (!string.IsNullOrEmpty(config.CertificateThumbprint))
        {
            protection.ProtectKeysWithCertificate(config.CertificateThumbprint);
        }
    }
}

/// <summary>The <c>DataProtection</c> section: where the key ring is kept and what encrypts it.</summary>
public sealed class KeyRingSettings
{
    public const string SectionName = "DataProtection";

    /// <summary>Default <c>&lt;DataDirectory&gt;/keys</c>.</summary>
    public string? KeysDirectory { get; set; }

    /// <summary>A PFX/PKCS#12 file whose certificate encrypts the keys.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Instead of a file: the thumbprint of a certificate in the CurrentUser or LocalMachine "My" store.</summary>
    public string? CertificateThumbprint { get; set; }
}

/// <summary>
/// <c>ForwardedHeaders:TrustedProxies</c>: the reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>
/// are believed, as addresses (<c>10.0.0.5</c>) or ranges (<c>10.0.0.0/24</c>). Default: this machine (loopback). From
/// anyone else the headers are ignored, so a client cannot pretend to be another address or to use HTTPS.
/// </summary>
public sealed record TrustedProxies(IReadOnlyList<IPAddress> Addresses, IReadOnlyList<System.Net.IPNetwork> Networks)
{
    public const string Setting = "ForwardedHeaders:TrustedProxies";

    public static TrustedProxies Loopback { get; } = new([IPAddress.IPv6Loopback], [new System.Net.IPNetwork(IPAddress.Loopback, 8)]);

    public static TrustedProxies Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var entries = configuration.GetSection(Setting).Get<string[]>() ?? [];
        if (entries.Length == 0)
        {
            return Loopback;
        }
        var addresses = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in entries.Select(e => e.Trim()))
        {
            if (entry.Contains('/', StringComparison.Ordinal) && System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                addresses.Add(address);
            }
            else
            {
                throw new InvalidOperationException($"{Setting} holds \"{entry}\", which is neither an IP address nor a range such as 10.0.0.0/24.");
            }
        }
        return new TrustedProxies(addresses, networks);
    }
}
