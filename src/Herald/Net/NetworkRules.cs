using System.Net;
using System.Net.Sockets;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// Which addresses Herald may connect to, at install time and at every connect alike. Loopback, private, link-local/metadata,
/// CGNAT, documentation, benchmarking, multicast and reserved ranges are blocked, and every IPv6 range the IANA special-purpose
/// registry marks not globally reachable; IPv6 forms that embed an IPv4 address are judged by that address too.
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

    /// <summary>
    /// The IANA IPv6 special-purpose registry's ranges that are not globally reachable, plus site-local and multicast.
    /// Everything outside 2000::/3 (global unicast) is refused as well, except the forms judged by the IPv4 address inside.
    /// </summary>
    private static readonly IPNetwork[] BlockedV6 =
    [
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("64:ff9b:1::/48"),   // local-use IPv4/IPv6 translation (RFC 8215)
        IPNetwork.Parse("100::/64"),         // discard-only
        IPNetwork.Parse("100:0:0:1::/64"),   // dummy prefix (RFC 9780)
        IPNetwork.Parse("2001::/23"),        // IETF protocol assignments: Teredo, benchmarking 2001:2::/48, ORCHID 2001:10::/28, ORCHIDv2 2001:20::/28, ...
        IPNetwork.Parse("2001:db8::/32"),    // documentation
        IPNetwork.Parse("3fff::/20"),        // documentation (RFC 9637)
        IPNetwork.Parse("5f00::/16"),        // SRv6 SIDs
        IPNetwork.Parse("fc00::/7"),         // unique local
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    /// <summary>The registry's globally reachable exceptions inside 2001::/23 (ORCHIDv2 2001:20::/28 stays refused: it is no destination).</summary>
    private static readonly IPNetwork[] GlobalInsideBlockedV6 =
    [
        IPNetwork.Parse("2001:1::1/128"),    // PCP anycast
        IPNetwork.Parse("2001:1::2/128"),    // TURN anycast
        IPNetwork.Parse("2001:1::3/128"),    // DNS-SD service registration protocol anycast
        IPNetwork.Parse("2001:3::/32"),      // AMT
        IPNetwork.Parse("2001:4:112::/48"),  // AS112-v6
        IPNetwork.Parse("2001:30::/28"),     // DRONE remote ID (DET)
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");
    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");
    private static readonly IPNetwork Nat64Local = IPNetwork.Parse("64:ff9b:1::/48");
    private static readonly IPNetwork SixToFour = IPNetwork.Parse("2002::/16");
    private static readonly IPNetwork Teredo = IPNetwork.Parse("2001::/32");
    private static readonly IPNetwork V4Compatible = IPNetwork.Parse("::/96");
    private static readonly IPNetwork V4Translated = IPNetwork.Parse("::ffff:0:0:0/96"); // RFC 2765 SIIT: ::ffff:0:a.b.c.d

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
        if (BlockedV6.Any(n => n.Contains(address)) && !GlobalInsideBlockedV6.Any(n => n.Contains(address))) return true;
        if (Nat64.Contains(address) || V4Translated.Contains(address) || V4Compatible.Contains(address)) return false; // judged by the IPv4 inside
        return !GlobalUnicast.Contains(address);
    }

    /// <summary>
    /// The IPv4 addresses an IPv6 address carries: NAT64 (well-known and local-use), IPv4-translated, 6to4, Teredo (server and
    /// obfuscated client), IPv4-compatible.
    /// </summary>
    internal static IEnumerable<IPAddress> EmbeddedIPv4(IPAddress v6)
    {
        var b = v6.GetAddressBytes();
        if (Nat64.Contains(v6) || V4Translated.Contains(v6) || Nat64Local.Contains(v6)
            || (V4Compatible.Contains(v6) && !IPAddress.IPv6Any.Equals(v6) && !IPAddress.IPv6Loopback.Equals(v6)))
            yield return new IPAddress(b[12..16]);
        if (Nat64Local.Contains(v6))
            yield return new IPAddress([b[6], b[7], b[9], b[10]]); // RFC 6052 layout for a /48 prefix (around the u octet)
        if (SixToFour.Contains(v6))
            yield return new IPAddress(b[2..6]);
        if (Teredo.Contains(v6))
        {
            yield return new IPAddress(b[4..8]);
            yield return new IPAddress(b[12..16].Select(x => (byte)~x).ToArray());
        }
    }
}
