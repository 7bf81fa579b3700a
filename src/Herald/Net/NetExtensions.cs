using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

public static class NetExtensions
{
    public static IServiceCollection AddHeraldNet(this IServiceCollection services)
    {
        services.AddSingleton<NetworkRules>();
        services.AddSingleton<HostResolver>();
        services.AddSingleton<UrlValidator>();
        services.AddSingleton<SafeHttpSender>();
        services.AddSingleton<CheckedConnector>();
        services.AddHttpClient(SafeHttpSender.ClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => CreateHandler(
                provider.GetRequiredService<IOptions<HeraldOptions>>().Value.Delivery,
                provider.GetRequiredService<HostResolver>(),
                provider.GetRequiredService<NetworkRules>(),
                provider.GetRequiredService<Observability.HeraldMetrics>()))
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan) // the sender applies its own deadline
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)                             // one pool, connections kept alive
            .RemoveAllLoggers();                                                      // default logs would carry the URL
        return services;
    }

    private static SocketsHttpHandler CreateHandler(DeliveryOptions delivery, HostResolver resolver, NetworkRules rules, Observability.HeraldMetrics metrics)
    {
        var extraRoots = LoadCertificates(delivery.ExtraCaCertificates);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = delivery.ConnectTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2), // so a changed DNS answer is looked at again
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            MaxConnectionsPerServer = 256,
            MaxResponseHeadersLength = 64, // KiB
            ActivityHeadersPropagator = null, // no traceparent to third parties
            ConnectCallback = (context, ct) => ConnectCheckedAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, resolver, rules, metrics, ct),
        };
        if (extraRoots.Count > 0)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                errors == SslPolicyErrors.None || TrustedByExtraRoots(certificate, chain, errors, extraRoots);
        return handler;
    }

    /// <summary>Resolves the host, keeps only allowed addresses, and connects to the first that answers.</summary>
    private static async ValueTask<Stream> ConnectCheckedAsync(string host, int port, HostResolver resolver, NetworkRules rules,
        Observability.HeraldMetrics metrics, CancellationToken ct)
    {
        if (port is < 1 or > 65535) throw new BlockedDestinationException();
        var endpoints = await resolver.ResolveAsync(host, port, ct);
        var allowed = endpoints.Where(e => rules.IsAllowed(e.Address)).ToList();
        if (allowed.Count == 0)
        {
            metrics.SsrfBlocked("connect");
            throw new BlockedDestinationException();
        }

        SocketException? last = null;
        foreach (var endpoint in allowed)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(endpoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
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

    internal static X509Certificate2Collection LoadCertificates(string? pemPath)
    {
        var collection = new X509Certificate2Collection();
        if (!string.IsNullOrWhiteSpace(pemPath)) collection.ImportFromPemFile(pemPath);
        return collection;
    }

    internal static bool TrustedByExtraRoots(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors) return false; // name mismatch stays fatal
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements.Skip(1)) custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        return custom.Build(new X509Certificate2(certificate));
    }
}
