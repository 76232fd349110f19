using System.Net;
using System.Net.Sockets;

namespace DreamLayer.Web.Models.Install;

/// <summary>
/// Which addresses a model download may reach. The app sits inside the team's network, so a link typed by an admin
/// (or a redirect from a site) must not make it fetch from the LAN, the machine itself or a cloud metadata address:
/// only http(s), and only public addresses unless <see cref="InstallOptions.AllowedPrivateNetworks"/> lets a network in.
/// The address is checked where the connection is made (after name resolution, at every redirect hop), so a name
/// that resolves to a private address is refused as well.
/// </summary>
public sealed class DownloadAddresses
{
    private static readonly IPNetwork[] NotPublic =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this" network
        IPNetwork.Parse("10.0.0.0/8"),       // private
        IPNetwork.Parse("100.64.0.0/10"),    // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local (cloud metadata)
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, broadcast
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("64:ff9b:1::/48"),   // local NAT64
        IPNetwork.Parse("fc00::/7"),         // unique local
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    private readonly IReadOnlyList<IPNetwork> _allowed;

    public DownloadAddresses(IEnumerable<string> allowedPrivateNetworks)
    {
        ArgumentNullException.ThrowIfNull(allowedPrivateNetworks);
        _allowed = allowedPrivateNetworks.Select(Parse).ToList();
    }

    /// <summary>Null when <paramref name="url"/> is an absolute http or https address; otherwise why not, in words.</summary>
    public static string? SchemeProblem(Uri? url)
    {
        if (url is null || !url.IsAbsoluteUri)
        {
            return "Give the whole address of the file, starting with https://.";
        }
        return url.Scheme is "http" or "https"
            ? null
            : $"\"{url.Scheme}:\" addresses are not downloaded; only http:// and https:// are.";
    }

    /// <summary>True for an address on the public internet (not private, loopback, link-local, multicast or reserved).</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return !NotPublic.Any(n => n.Contains(address));
    }

    /// <summary>True when a download may connect to <paramref name="address"/>: a public one, or one in an allowed network.</summary>
    public bool Allows(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return IsPublic(plain) || _allowed.Any(n => n.Contains(plain));
    }

    /// <summary>The addresses of <paramref name="host"/> a download may connect to; throws with the reason when there are none.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(Allows).ToArray();
        if (allowed.Length == 0)
        {
            throw new DownloadRefusedException(addresses.Length == 0
                ? $"{host} has no address."
                : $"{host} is at {addresses[0]}, a private, loopback or link-local address; downloads reach only public addresses unless an admin allows that network (ModelInstall:AllowedPrivateNetworks).");
        }
        return allowed;
    }

    /// <summary>Opens the TCP connection for the download client, only to an allowed address of the host.</summary>
    public async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var addresses = await ResolveAsync(endPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static IPNetwork Parse(string entry)
    {
        var text = entry.Trim();
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }
        if (IPAddress.TryParse(text, out var address))
        {
            return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        }
        throw new InvalidOperationException($"{InstallOptions.SectionName}:AllowedPrivateNetworks holds \"{entry}\", which is neither an address nor a range such as 10.0.0.0/8.");
    }
}

/// <summary>A download refused for a reason the admin can act on; the message says it in words.</summary>
public sealed class DownloadRefusedException(string message) : Exception(message);
