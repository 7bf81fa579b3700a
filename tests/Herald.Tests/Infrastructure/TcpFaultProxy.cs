using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// A loopback TCP relay between Herald and a server (PostgreSQL) that a test can take down (nothing listens, open
/// connections are reset) or freeze (connections are accepted and bytes are held, never answered: a SIGSTOPped server),
/// and then restore on the same port.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private TcpListener? _listener;
    private TaskCompletionSource _thawed = NewOpenGate();

    private TcpFaultProxy(IPEndPoint target) => _target = target;

    public int Port { get; private set; }

    public static TcpFaultProxy Start(string host, int port)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == AddressFamily.InterNetwork);
        var proxy = new TcpFaultProxy(new IPEndPoint(address, port));
        proxy.Listen(0);
        return proxy;
    }

    /// <summary>Nothing listens on the port any more and every open connection is reset.</summary>
    public void Down()
    {
        _listener?.Stop();
        _listener = null;
        foreach (var socket in _sockets.Keys) Reset(socket);
    }

    /// <summary>Connections are accepted but nothing is relayed either way until <see cref="Restore"/>.</summary>
    public void Freeze() => Interlocked.Exchange(ref _thawed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    /// <summary>Listens again on the same port and relays what a freeze held.</summary>
    public void Restore()
    {
        if (_listener is null) Listen(Port);
        _thawed.TrySetResult();
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private void Listen(int port)
    {
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        _listener = listener;
        _ = AcceptAsync(listener);
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listener.AcceptSocketAsync(_stop.Token); }
            catch (Exception) { return; } // stopped
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        _sockets.TryAdd(client, 0);
        using var server = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await _thawed.Task.WaitAsync(_stop.Token); // a frozen server accepts and says nothing
            await server.ConnectAsync(_target, _stop.Token);
            _sockets.TryAdd(server, 0);
            await Task.WhenAny(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception)
        {
        }
        finally
        {
            Reset(client);
            Reset(server);
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0) return;
            await _thawed.Task.WaitAsync(_stop.Token); // frozen: held, not relayed
            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (Exception)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener?.Stop();
        foreach (var socket in _sockets.Keys) Reset(socket);
        _stop.Dispose();
        return ValueTask.CompletedTask;
    }
}
