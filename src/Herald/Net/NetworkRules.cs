using System.Net;
using System.Net.Sockets;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// Which addresses Herald may connect to. Loopback, private, link-local/metadata, CGNAT, documentation, benchmarking,
/// multicast and reserved ranges are blocked; IPv6 forms that embed an IPv4 address are judged by that address.
/// Operators exempt networks with Herald:Delivery:AllowedNetworks.
/// </summary>
public sealed class NetworkRules
{
    private static readonly IPNetwork[] BlockedV4 =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network"
        IPNetwork.Parse("10.0.0.0/8"),       // RFC 1918
        IPNetwork.Parse("100.64.0.0/10"),    // CGNAT
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local, cloud metadata
        IPNetwork.Parse("172.16.0.0/12"),    // RFC 1918
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.0.2.0/24"),     // TEST-NET-1
        IPNetwork.Parse("192.88.99.0/24"),   // 6to4 relay anycast
        IPNetwork.Parse("192.168.0.0/16"),   // RFC 1918
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("198.51.100.0/24"),  // TEST-NET-2
        IPNetwork.Parse("203.0.113.0/24"),   // TEST-NET-3
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, and 255.255.255.255 broadcast
    ];

    private static readonly IPNetwork[] BlockedV6 =
    [
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("100::/64"),         // discard
        IPNetwork.Parse("2001:db8::/32"),    // documentation
        IPNetwork.Parse("fc00::/7"),         // unique local
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Nat64Local = IPNetwork.Parse("64:ff9b:1::/48");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");

    private readonly IPNetwork[] _allowed;

    public NetworkRules(IOptions<HeraldOptions> options)
    {
        _allowed = options.Value.Delivery.AllowedNetworks.Select(IPNetwork.Parse).ToArray();
    }

    public bool IsAllowed(IPAddress address) => !IsBlocked(address);

    public bool IsBlocked(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (_allowed.Any(n => n.Contains(address))) return false;
        if (address.AddressFamily == AddressFamily.InterNetwork) return BlockedV4.Any(n => n.Contains(address));
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return true;

        foreach (var embedded in EmbeddedIPv4(address))
            if (IsBlocked(embedded)) return true;
        if (Nat64Local.Contains(address)) return true;
        return BlockedV6.Any(n => n.Contains(address));
    }

    /// <summary>The IPv4 addresses an IPv6 address carries: NAT64, 6to4, Teredo (server and obfuscated client), IPv4-compatible.</summary>
    internal static IEnumerable<IPAddress> EmbeddedIPv4(IPAddress v6)
    {
        var b = v6.GetAddressBytes();
        if (Nat64.Contains(v6) || (V4Compatible.Contains(v6) && !IPAddress.IPv6Any.Equals(v6) && !IPAddress.IPv6Loopback.Equals(v6)))
            yield return new IPAddress(b[12..16]);
        if (SixToFour.Contains(v6))
            yield return new IPAddress(b[2..6]);
        if (Teredo.Contains(v6))
        {
            yield return new IPAddress(b[4..8]);
            yield return new IPAddress(b[12..16].Select(x => (byte)~x).ToArray());
        }
    }
}
