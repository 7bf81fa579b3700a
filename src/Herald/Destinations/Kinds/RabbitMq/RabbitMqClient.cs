using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Herald.Delivery.Transports;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Herald.Destinations.Kinds.RabbitMq;

/// <summary>
/// Publishes to RabbitMQ: one persistent message per delivery, with publisher confirms and <c>mandatory</c>, so a delivery
/// counts only once the broker confirmed it. Connections are pooled per destination (one connection, a few confirm channels)
/// and opened afresh when the destination's URL changes; a connection that dropped (a broker restart) is replaced by the next
/// delivery. Every connect resolves the host through Herald, keeps the addresses the network rules allow, and connects to
/// one of those (the client library gets the vetted address, never the name), so the rules hold at connect as at install.
/// Nothing here logs or returns the URL: it holds credentials.
/// </summary>
public sealed class RabbitMqClient(CheckedConnector connector, IOptions<HeraldOptions> options, TimeProvider time, ILogger<RabbitMqClient> logger)
    : IAsyncDisposable
{
    public const int DefaultPort = 5672;
    public const int DefaultTlsPort = 5671;
    public static readonly IReadOnlyDictionary<string, int> Schemes = new Dictionary<string, int> { ["amqp"] = DefaultPort, ["amqps"] = DefaultTlsPort };

    private static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, Pool> _pools = new();
    private long _lastSweep;

    /// <summary>How many destinations have a pooled connection (tests).</summary>
    internal int PooledDestinations => _pools.Count;

    /// <summary>
    /// Publishes one message and waits for the broker's confirm, within Herald:Delivery:Timeout. <paramref name="poolKey"/> is
    /// the destination's id; a different <paramref name="url"/> for the same key closes the old connection and opens another.
    /// </summary>
    public async Task<TransportOutcome> PublishAsync(string poolKey, string url, string exchange, string routingKey, BrokerMessage message,
        CancellationToken ct)
    {
        var started = time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.Delivery.Timeout);
        var pool = PoolFor(poolKey, url);
        IChannel? channel = null;
        var keep = false;
        try
        {
            channel = await pool.RentAsync(timeout.Token);
            var properties = new BasicProperties
            {
                Persistent = true,
                MessageId = message.MessageId,
                Type = message.Type,
                ContentType = message.ContentType,
                Timestamp = new AmqpTimestamp(message.Timestamp.ToUnixTimeSeconds()),
                AppId = "herald",
                Headers = message.Headers.Count == 0 ? null : message.Headers.ToDictionary(h => h.Key, h => (object?)h.Value),
            };
            await channel.BasicPublishAsync(exchange, routingKey, mandatory: true, properties, message.Body, timeout.Token);
            keep = true;
            return TransportOutcome.Success("confirmed", time.GetElapsedTime(started));
        }
        catch (PublishException e)
        {
            keep = true; // the channel is fine: the broker answered for this one message
            // Returned: no queue is bound for it, and another try would be returned the same way.
            return e.IsReturn ? Unroutable(time.GetElapsedTime(started)) : TransportOutcome.Retryable(Outcomes.Nack, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed(Outcomes.Timeout, time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var outcome = Classify(e);
            if (outcome == Outcomes.RequestError)
                logger.LogWarning("A RabbitMQ publish failed before reaching the broker ({Error}).", e.GetType().Name);
            return Failed(outcome, time.GetElapsedTime(started));
        }
        finally
        {
            if (channel is not null)
            {
                if (keep && channel.IsOpen) pool.Return(channel);
                else Pool.DisposeQuietly(channel);
            }
        }
    }

    /// <summary>The message has nowhere to go (returned, or no such exchange): failed for good, not retried.</summary>
    public static TransportOutcome Unroutable(TimeSpan duration) => TransportOutcome.Final(Outcomes.Unroutable, duration);

    /// <summary>Every other failure is worth another try by the retry schedule; one on Herald's side is not the broker's fault.</summary>
    private static TransportOutcome Failed(string outcome, TimeSpan duration) => outcome == Outcomes.Unroutable
        ? Unroutable(duration)
        : TransportOutcome.Retryable(outcome, duration) with { HeraldSide = outcome == Outcomes.RequestError };

    /// <summary>The coarse outcome of a failure, by its cause (reply codes and exception types), never by its message.</summary>
    internal static string Classify(Exception e)
    {
        foreach (var inner in CheckedConnector.Causes(e))
        {
            switch (inner)
            {
                case AuthenticationFailureException or PossibleAuthenticationFailureException:
                    return Outcomes.AuthError;
                case OperationInterruptedException { ShutdownReason.ReplyCode: Constants.AccessRefused or Constants.NotAllowed }:
                    return Outcomes.AuthError;
                case OperationInterruptedException { ShutdownReason.ReplyCode: Constants.NotFound }:
                    return Outcomes.Unroutable; // no such exchange: nowhere to route to
            }
        }
        if (CheckedConnector.ClassifyConnectFailure(e) is { } network) return network;
        return e is RabbitMQClientException or OperationInterruptedException or RabbitMQ.Client.Exceptions.ProtocolViolationException ? Outcomes.ConnectError : Outcomes.RequestError;
    }

    private Pool PoolFor(string key, string url)
    {
        var now = time.GetTimestamp();
        Sweep(now);
        while (true)
        {
            var pool = _pools.GetOrAdd(key, _ => new Pool(url, this));
            if (pool.Url == url)
            {
                pool.LastUsed = now;
                return pool;
            }
            // The destination's URL changed: its connection is closed, and the next one is made for the new URL.
            if (_pools.TryUpdate(key, new Pool(url, this), pool)) _ = pool.DisposeAsync().AsTask();
        }
    }

    /// <summary>Closes the connections of destinations nothing was sent to for a while (deleted or disabled ones, say).</summary>
    private void Sweep(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return;
        foreach (var (key, pool) in _pools)
            if (time.GetElapsedTime(pool.LastUsed, now) > IdleAfter && _pools.TryRemove(new KeyValuePair<string, Pool>(key, pool)))
                _ = pool.DisposeAsync().AsTask();
    }

    /// <summary>Closes the pooled connection of one destination (when it is deleted or its broker settings change).</summary>
    public async Task ForgetAsync(string key)
    {
        if (_pools.TryRemove(key, out var pool)) await pool.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _pools.Keys.ToList())
            if (_pools.TryRemove(key, out var pool)) await pool.DisposeAsync();
    }

    private async Task<IConnection> ConnectAsync(string url, CancellationToken ct)
    {
        var uri = new Uri(url);
        var tls = uri.Scheme == "amqps";
        var host = uri.IdnHost;
        var port = uri.Port == -1 ? (tls ? DefaultTlsPort : DefaultPort) : uri.Port;
        var endpoints = await connector.AllowedEndpointsAsync(host, port, ct);
        var (user, password) = Credentials(uri);
        var delivery = options.Value.Delivery;
        var factory = new ConnectionFactory
        {
            UserName = user,
            Password = password,
            VirtualHost = VirtualHost(uri),
            AutomaticRecoveryEnabled = false, // a dropped connection is replaced by the next delivery, through the checks above
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = delivery.ConnectTimeout,
            HandshakeContinuationTimeout = delivery.Timeout,
            ContinuationTimeout = delivery.Timeout,
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
            ClientProvidedName = "herald",
            SocketFactory = family => new CheckedTcpClient(family, connector),
        };
        var ssl = new SslOption { Enabled = tls, ServerName = host, CertificateValidationCallback = connector.ValidateCertificate };
        // Vetted addresses, not the name: the client library resolves nothing itself.
        var amqpEndpoints = endpoints.Select(e => new AmqpTcpEndpoint(e.Address.ToString(), e.Port, ssl)).ToList();
        return await factory.CreateConnectionAsync(amqpEndpoints, ct);
    }

    /// <summary>The user and password of amqp://user:pass@host (percent-decoded); RabbitMQ's guest/guest when absent.</summary>
    internal static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo)) return (ConnectionFactory.DefaultUser, ConnectionFactory.DefaultPass);
        var colon = uri.UserInfo.IndexOf(':');
        return colon < 0
            ? (Uri.UnescapeDataString(uri.UserInfo), "")
            : (Uri.UnescapeDataString(uri.UserInfo[..colon]), Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]));
    }

    /// <summary>The virtual host: the URL's one path segment, percent-decoded (amqp://host/%2F is "/"); "/" when there is none.</summary>
    internal static string VirtualHost(Uri uri)
    {
        var path = uri.AbsolutePath.TrimStart('/');
        return path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
    }

    /// <summary>A socket that checks, once more, the address it is asked to connect to.</summary>
    private sealed class CheckedTcpClient(AddressFamily family, CheckedConnector connector)
        : TcpClientAdapter(new Socket(family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true })
    {
        public override Task ConnectAsync(IPAddress address, int port, CancellationToken cancellationToken = default)
        {
            connector.EnsureAllowed(address);
            return base.ConnectAsync(address, port, cancellationToken);
        }
    }

    /// <summary>One destination's connection and its idle confirm channels.</summary>
    private sealed class Pool(string url, RabbitMqClient owner) : IAsyncDisposable
    {
        private const int MaxIdleChannels = 32;
        private readonly SemaphoreSlim _connecting = new(1, 1);
        private readonly ConcurrentBag<IChannel> _idle = new();
        private IConnection? _connection;
        private volatile bool _disposed;

        public string Url { get; } = url;
        public long LastUsed { get; set; }

        public async Task<IChannel> RentAsync(CancellationToken ct)
        {
            var connection = await ConnectionAsync(ct);
            while (_idle.TryTake(out var idle))
            {
                if (idle.IsOpen) return idle;
                DisposeQuietly(idle);
            }
            return await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        }

        public void Return(IChannel channel)
        {
            if (_disposed || _idle.Count >= MaxIdleChannels) DisposeQuietly(channel);
            else _idle.Add(channel);
        }

        private async Task<IConnection> ConnectionAsync(CancellationToken ct)
        {
            if (_connection is { IsOpen: true } open) return open;
            await _connecting.WaitAsync(ct);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_connection is { IsOpen: true } opened) return opened;
                if (_connection is { } dropped)
                {
                    // The broker went away (a restart, a network cut): this delivery connects again.
                    _connection = null;
                    while (_idle.TryTake(out var stale)) DisposeQuietly(stale);
                    DisposeQuietly(dropped);
                }
                _connection = await owner.ConnectAsync(Url, ct);
                return _connection;
            }
            finally
            {
                _connecting.Release();
            }
        }

        public async ValueTask DisposeAsync()
        {
            _disposed = true;
            await _connecting.WaitAsync();
            try
            {
                while (_idle.TryTake(out var channel)) DisposeQuietly(channel);
                if (_connection is { } connection)
                {
                    _connection = null;
                    try
                    {
                        await connection.CloseAsync(TimeSpan.FromSeconds(2));
                    }
                    catch (Exception)
                    {
                        // already gone
                    }
                    DisposeQuietly(connection);
                }
            }
            finally
            {
                _connecting.Release();
            }
        }

        /// <summary>Disposes in the background, bounded, ignoring failures: a dead connection's goodbye must not hold up a delivery.</summary>
        public static void DisposeQuietly(IAsyncDisposable disposable) => _ = Task.Run(async () =>
        {
            try
            {
                await disposable.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // nothing to do: the socket is closed with the process at worst
            }
        });
    }
}
