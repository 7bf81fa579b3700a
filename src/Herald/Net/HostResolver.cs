using System.Net;
using System.Net.Sockets;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// Resolves destination hosts for the install-time check and for every connect. Herald:Delivery:Resolve entries
/// ("host:port=address:port", like curl --resolve) answer first; then DNS. Tests replace <see cref="LookupAsync"/>.
/// </summary>
public class HostResolver
{
    private readonly Dictionary<(string Host, int Port), IPEndPoint> _overrides = new();

    public HostResolver(IOptions<HeraldOptions> options)
    {
        foreach (var entry in options.Value.Delivery.Resolve)
        {
            if (!TryParseOverride(entry, out var host, out var port, out var target))
                throw new ArgumentException("Herald:Delivery:Resolve entries look like host:port=address:port.");
            _overrides[(host, port)] = target;
        }
    }

    /// <summary>The endpoints to try for host:port, in order. Throws <see cref="SocketException"/> (HostNotFound) when there are none.</summary>
    public async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string host, int port, CancellationToken ct)
    {
        if (_overrides.TryGetValue((host.ToLowerInvariant(), port), out var pinned)) return [pinned];
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) return [new IPEndPoint(literal, port)];
        var addresses = await LookupAsync(host, ct);
        if (addresses.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        return addresses.Select(a => new IPEndPoint(a, port)).ToList();
    }

    protected virtual Task<IPAddress[]> LookupAsync(string host, CancellationToken ct) => Dns.GetHostAddressesAsync(host, ct);

    public static bool TryParseOverride(string entry, out string host, out int port, out IPEndPoint target)
    {
        host = "";
        port = 0;
        target = null!;
        var sides = entry.Split('=', 2);
        if (sides.Length != 2) return false;
        var colon = sides[0].LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(sides[0].AsSpan(colon + 1), out port) || port is < 1 or > 65535) return false;
        host = sides[0][..colon].Trim().ToLowerInvariant();
        if (!IPEndPoint.TryParse(sides[1].Trim(), out var endpoint) || endpoint.Port == 0) return false;
        target = endpoint;
        return host.Length > 0;
    }
}
