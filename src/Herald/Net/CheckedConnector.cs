using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// The network rules for transports other than HTTP (AMQP, NATS): the host is resolved by Herald (Resolve overrides, then
/// DNS), only addresses <see cref="NetworkRules"/> allows are kept, and the socket is connected to one of those vetted
/// addresses, never to a name the client library resolves again. TLS trusts the system roots plus
/// Herald:Delivery:ExtraCaCertificates, as HTTPS deliveries do.
/// </summary>
public sealed class CheckedConnector
{
    private readonly HostResolver _resolver;
    private readonly NetworkRules _rules;
    private readonly Observability.HeraldMetrics _metrics;
    private readonly X509Certificate2Collection _extraRoots;

    public CheckedConnector(HostResolver resolver, NetworkRules rules, IOptions<HeraldOptions> options, Observability.HeraldMetrics metrics)
    {
        _resolver = resolver;
        _rules = rules;
        _metrics = metrics;
        _extraRoots = NetExtensions.LoadCertificates(options.Value.Delivery.ExtraCaCertificates);
    }

    /// <summary>
    /// The allowed endpoints of host:port, in resolver order. Throws <see cref="BlockedDestinationException"/> when every
    /// address is blocked, <see cref="SocketException"/> (HostNotFound) when there is none.
    /// </summary>
    public async Task<IReadOnlyList<IPEndPoint>> AllowedEndpointsAsync(string host, int port, CancellationToken ct)
    {
        if (port is < 1 or > 65535) throw new BlockedDestinationException();
        var endpoints = await _resolver.ResolveAsync(host, port, ct);
        var allowed = endpoints.Where(e => _rules.IsAllowed(e.Address)).ToList();
        if (allowed.Count == 0)
        {
            _metrics.SsrfBlocked("connect");
            throw new BlockedDestinationException();
        }
        return allowed;
    }

    /// <summary>The last check, on the address a socket is about to connect to.</summary>
    public void EnsureAllowed(IPAddress address)
    {
        if (_rules.IsAllowed(address)) return;
        _metrics.SsrfBlocked("connect");
        throw new BlockedDestinationException();
    }

    /// <summary>Resolves, keeps the allowed addresses, and returns a socket connected to the first that answers.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        SocketException? last = null;
        foreach (var endpoint in await AllowedEndpointsAsync(host, port, ct))
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                EnsureAllowed(endpoint.Address);
                await socket.ConnectAsync(endpoint, ct);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    /// <summary>Certificate validation for broker TLS: the system's verdict, or a chain to one of the extra roots (a name mismatch stays fatal).</summary>
    public bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        errors == SslPolicyErrors.None || (_extraRoots.Count > 0 && NetExtensions.TrustedByExtraRoots(certificate, chain, errors, _extraRoots));

    /// <summary>
    /// The coarse outcome of a failed connect, by cause (never by message), or null when the cause is not a network one. The
    /// whole tree of causes is looked at, the most telling first: client libraries wrap a TLS or DNS failure in their own
    /// IOException-derived types.
    /// </summary>
    public static string? ClassifyConnectFailure(Exception e)
    {
        var causes = Causes(e).ToList();
        if (causes.Any(c => c is BlockedDestinationException)) return Outcomes.BlockedDestination;
        if (causes.Any(c => c is AuthenticationException)) return Outcomes.TlsError;
        if (causes.Any(c => c is SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }))
            return Outcomes.DnsError;
        if (causes.Any(c => c is TimeoutException or SocketException { SocketErrorCode: SocketError.TimedOut })) return Outcomes.Timeout;
        if (causes.Any(c => c is SocketException or IOException)) return Outcomes.ConnectError;
        return null;
    }

    /// <summary>An exception and every exception inside it (inner exceptions, the members of aggregates).</summary>
    public static IEnumerable<Exception> Causes(Exception e)
    {
        var pending = new Stack<Exception>([e]);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var next = pending.Pop();
            yield return next;
            if (next is AggregateException aggregate)
                foreach (var inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (next.InnerException is { } inner) pending.Push(inner);
        }
    }
}
