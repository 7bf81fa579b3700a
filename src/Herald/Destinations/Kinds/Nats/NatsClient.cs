using System.Collections.Concurrent;
using System.Net.Sockets;
using Herald.Delivery.Transports;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Herald.Destinations.Kinds.Nats;

/// <summary>
/// Publishes to NATS JetStream: one message per delivery with <c>Nats-Msg-Id</c> = the event id (the stream drops a
/// duplicate inside its window), counted delivered only when the stream acknowledged it. A subject no stream listens on is
/// <c>unroutable</c>. Connections are pooled per destination and opened afresh when its URL changes; one that is not open
/// (the server restarted) is replaced by the next delivery. Every socket is connected by <see cref="CheckedConnector"/>: the
/// host is resolved by Herald and only an address the network rules allow is used. The URL (credentials) is never logged.
/// </summary>
public sealed class NatsClient(CheckedConnector connector, IOptions<HeraldOptions> options, TimeProvider time, ILogger<NatsClient> logger)
    : IAsyncDisposable
{
    public const int DefaultPort = 4222;
    public static readonly IReadOnlyDictionary<string, int> Schemes = new Dictionary<string, int> { ["nats"] = DefaultPort, ["tls"] = DefaultPort };

    private static readonly TimeSpan IdleAfter = TimeSpan.FromMinutes(5);
    private readonly ConcurrentDictionary<string, Pool> _pools = new();
    private long _lastSweep;

    internal int PooledDestinations => _pools.Count;

    /// <summary>Publishes one message to JetStream and waits for the stream's ack, within Herald:Delivery:Timeout.</summary>
    public async Task<TransportOutcome> PublishAsync(string poolKey, string url, string subject, BrokerMessage message, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.Delivery.Timeout);
        var pool = PoolFor(poolKey, url);
        try
        {
            var js = await pool.JetStreamAsync(timeout.Token);
            var headers = new NatsHeaders { ["Content-Type"] = message.ContentType, ["Herald-Event-Type"] = message.Type };
            foreach (var (name, value) in message.Headers) headers[name] = value;
            var ack = await js.PublishAsync(subject, message.Body, opts: new NatsJSPubOpts { MsgId = message.MessageId, RetryAttempts = 1 },
                headers: headers, cancellationToken: timeout.Token);
            // A duplicate (the same event id inside the stream's window) was stored before: delivered all the same.
            return ack.Error is null
                ? TransportOutcome.Success("ack", time.GetElapsedTime(started))
                : TransportOutcome.Retryable(Outcomes.Nack, time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Failed(Outcomes.Timeout, time.GetElapsedTime(started));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var outcome = Classify(e);
            if (outcome == Outcomes.RequestError)
                logger.LogWarning("A NATS publish failed before reaching the server ({Error}).", e.GetType().Name);
            // No responder for the subject: no stream takes it, or its stream is not back yet (a restarted server recovers
            // its streams after it accepts connections). Reported as unroutable, but retried: a wait costs less than a loss.
            if (outcome == Outcomes.Unroutable) return TransportOutcome.Retryable(outcome, time.GetElapsedTime(started));
            return Failed(outcome, time.GetElapsedTime(started));
        }
    }

    /// <summary>A subject that cannot be published to (invalid): failed for good, not retried. Every other failure is worth another try.</summary>
    internal static TransportOutcome Failed(string outcome, TimeSpan duration) => outcome == Outcomes.Unroutable
        ? TransportOutcome.Final(outcome, duration)
        : TransportOutcome.Retryable(outcome, duration) with { HeraldSide = outcome == Outcomes.RequestError };

    /// <summary>The coarse outcome of a failure, by its cause (exception types and server error kinds), never by its message.</summary>
    internal static string Classify(Exception e)
    {
        foreach (var inner in CheckedConnector.Causes(e))
        {
            switch (inner)
            {
                case NatsServerException { IsAuthError: true }:
                    return Outcomes.AuthError;
                case NatsJSPublishNoResponseException or NatsNoRespondersException:
                    return Outcomes.Unroutable; // no stream listens on the subject
                case NatsJSApiException:
                    return Outcomes.Nack;       // the stream refused the message (e.g. limits, wrong expected stream)
                case NatsNoReplyException:
                    return Outcomes.Timeout;
            }
        }
        if (CheckedConnector.ClassifyConnectFailure(e) is { } network) return network;
        return e is NatsException ? Outcomes.ConnectError : Outcomes.RequestError;
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
            if (_pools.TryUpdate(key, new Pool(url, this), pool)) _ = pool.DisposeAsync().AsTask();
        }
    }

    private void Sweep(long now)
    {
        var last = Interlocked.Read(ref _lastSweep);
        if (time.GetElapsedTime(last, now) < TimeSpan.FromMinutes(1) || Interlocked.CompareExchange(ref _lastSweep, now, last) != last) return;
        foreach (var (key, pool) in _pools)
            if (time.GetElapsedTime(pool.LastUsed, now) > IdleAfter && _pools.TryRemove(new KeyValuePair<string, Pool>(key, pool)))
                _ = pool.DisposeAsync().AsTask();
    }

    /// <summary>Closes the pooled connection of one destination.</summary>
    public async Task ForgetAsync(string key)
    {
        if (_pools.TryRemove(key, out var pool)) await pool.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _pools.Keys.ToList())
            if (_pools.TryRemove(key, out var pool)) await pool.DisposeAsync();
    }

    private CheckedSockets NewSockets() => new(connector);

    /// <summary>Connection options for a nats:// or tls:// URL; user:password or a token from the URL; sockets from <paramref name="sockets"/>.</summary>
    private NatsOpts OptionsFor(string url, CheckedSockets sockets)
    {
        var uri = new Uri(url);
        var delivery = options.Value.Delivery;
        var port = uri.Port == -1 ? DefaultPort : uri.Port;
        var auth = NatsAuthOpts.Default;
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var colon = uri.UserInfo.IndexOf(':');
            auth = colon < 0
                ? auth with { Token = Uri.UnescapeDataString(uri.UserInfo) }
                : auth with { Username = Uri.UnescapeDataString(uri.UserInfo[..colon]), Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]) };
        }
        var tls = uri.Scheme == "tls";
        return NatsOpts.Default with
        {
            // Without credentials: the client reads none from the URL, and the URL it may echo in errors carries none.
            Url = $"{uri.Scheme}://{(uri.HostNameType == UriHostNameType.IPv6 ? $"[{uri.IdnHost.Trim('[', ']')}]" : uri.IdnHost)}:{port}",
            Name = "herald",
            AuthOpts = auth,
            TlsOpts = new NatsTlsOpts
            {
                Mode = tls ? TlsMode.Require : TlsMode.Prefer,
                ConfigureClientAuthentication = ssl =>
                {
                    ssl.RemoteCertificateValidationCallback = connector.ValidateCertificate;
                    return ValueTask.CompletedTask;
                },
            },
            SocketConnectionFactory = sockets,
            ConnectTimeout = delivery.ConnectTimeout,
            RequestTimeout = delivery.Timeout,
            CommandTimeout = delivery.Timeout,
            NoRandomize = true,
        };
    }

    /// <summary>
    /// Sockets connected by Herald to a vetted address; TLS is layered on by the client when the URL or server asks. The client
    /// reports a failed connect without its cause, so the cause is kept here for the outcome.
    /// </summary>
    private sealed class CheckedSockets(CheckedConnector connector) : INatsSocketConnectionFactory
    {
        public Exception? LastFailure { get; private set; }

        public async ValueTask<INatsSocketConnection> ConnectAsync(Uri uri, NatsOpts opts, CancellationToken cancellationToken)
        {
            try
            {
                var socket = new CheckedSocket(await connector.ConnectAsync(uri.IdnHost, uri.Port, cancellationToken));
                LastFailure = null;
                return socket;
            }
            catch (OperationCanceledException e)
            {
                LastFailure = new TimeoutException("connect timed out", e);
                throw;
            }
            catch (Exception e)
            {
                LastFailure = e;
                throw;
            }
        }
    }

    /// <summary>A failed connect, with the cause the client library dropped.</summary>
    private sealed class ConnectFailedException(Exception cause) : Exception("The NATS server could not be reached.", cause);

    private sealed class CheckedSocket(Socket socket) : INatsTlsUpgradeableSocketConnection
    {
        private int _disposed;

        public Socket Socket => socket;

        public ValueTask<int> SendAsync(ReadOnlyMemory<byte> buffer) => socket.SendAsync(buffer, SocketFlags.None, CancellationToken.None);

        public ValueTask<int> ReceiveAsync(Memory<byte> buffer) => socket.ReceiveAsync(buffer, SocketFlags.None, CancellationToken.None);

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Increment(ref _disposed) != 1) return default;
            try { socket.Shutdown(SocketShutdown.Both); }
            catch (Exception) { /* already closed */ }
            socket.Dispose();
            return default;
        }
    }

    /// <summary>One destination's connection.</summary>
    private sealed class Pool(string url, NatsClient owner) : IAsyncDisposable
    {
        private readonly SemaphoreSlim _connecting = new(1, 1);
        private NatsConnection? _connection;
        private NatsJSContext? _js;
        private volatile bool _disposed;

        public string Url { get; } = url;
        public long LastUsed { get; set; }

        public async Task<NatsJSContext> JetStreamAsync(CancellationToken ct)
        {
            if (_js is { } ready && _connection is { ConnectionState: NatsConnectionState.Open }) return ready;
            await _connecting.WaitAsync(ct);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_js is { } js && _connection is { ConnectionState: NatsConnectionState.Open }) return js;
                if (_connection is { } dropped)
                {
                    // Not open (the server restarted, the network dropped): this delivery connects afresh, through the checks.
                    _connection = null;
                    _js = null;
                    await DisposeQuietlyAsync(dropped);
                }
                var sockets = owner.NewSockets();
                var opts = owner.OptionsFor(Url, sockets);
                var connection = new NatsConnection(opts);
                try
                {
                    await connection.ConnectAsync().AsTask().WaitAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException && sockets.LastFailure is { } cause)
                {
                    await DisposeQuietlyAsync(connection);
                    throw new ConnectFailedException(cause);
                }
                catch
                {
                    await DisposeQuietlyAsync(connection);
                    throw;
                }
                _connection = connection;
                _js = new NatsJSContext(connection, new NatsJSOpts(opts)); // its API timeout is opts.RequestTimeout
                return _js;
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
                if (_connection is { } connection) await DisposeQuietlyAsync(connection);
                _connection = null;
                _js = null;
            }
            finally
            {
                _connecting.Release();
            }
        }

        private static async Task DisposeQuietlyAsync(NatsConnection connection)
        {
            try
            {
                await connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // gone already
            }
        }
    }
}
