using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// Throwaway message brokers for tests: Debian's rabbitmq-server and nats-server (JetStream), each on free loopback ports
/// with its data in a fresh temporary directory, started and stopped by the test (so a test can stop a broker mid-run and
/// start it again on the same data). Without the server installed a test skips with the reason, unless
/// HERALD_REQUIRE_RABBITMQ=1 / HERALD_REQUIRE_NATS=1 (set by .ci/run), where it fails.
/// </summary>
public static class BrokerServers
{
    private static readonly string[] SearchPath =
        [.. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries), "/usr/sbin", "/usr/local/sbin", "/sbin"];

    public static string? Find(string program) =>
        SearchPath.Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Why the broker cannot run here, or null when it can.</summary>
    public static string? Unavailable(string program) =>
        Find(program) is null ? $"{program} is not installed (apt-get install {(program == "rabbitmq-server" ? "rabbitmq-server" : "nats-server")})." : null;

    /// <summary>Skips the test with <paramref name="reason"/>, or fails it when <paramref name="variable"/>=1.</summary>
    public static void SkipOrFail(string variable, string reason)
    {
        if (Environment.GetEnvironmentVariable(variable) == "1") Assert.Fail($"{variable}=1 but {reason}");
        TestContext.Current.SendDiagnosticMessage("NOTICE: broker test skipped: " + reason);
        Assert.Skip(reason);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    public static async Task WaitAsync(Func<Task<bool>> check, TimeSpan timeout, string what, Func<string>? detail = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await check())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}. {detail?.Invoke()}");
            await Task.Delay(100);
        }
    }

    internal static string Tail(string path)
    {
        try
        {
            var lines = File.ReadAllLines(path);
            return string.Join("\n", lines.TakeLast(20));
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>Writes the test CA's server certificate (127.0.0.1, localhost, ...) and its key as PEM files readable by a broker's own user.</summary>
    public static (string Certificate, string Key) WriteServerCertificate(string directory)
    {
        using var server = TestCertificates.Server;
        var certificate = Path.Combine(directory, "server.pem");
        var key = Path.Combine(directory, "server.key");
        File.WriteAllText(certificate, server.ExportCertificatePem());
        File.WriteAllText(key, server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(certificate, (UnixFileMode)0x1A4); // 0644
        File.SetUnixFileMode(key, (UnixFileMode)0x1A4);
        return (certificate, key);
    }

    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int signal);

    [DllImport("libc")]
    internal static extern uint geteuid();
}

/// <summary>
/// One RabbitMQ node. Debian's rabbitmq-server switches to the rabbitmq user, so its directory is world-writable; the node
/// has a unique name and its own AMQP and distribution ports. guest/guest works from loopback.
/// </summary>
public sealed class RabbitMqServer : IAsyncDisposable
{
    public const string RequireVariable = "HERALD_REQUIRE_RABBITMQ";

    private readonly string _server;
    private readonly string _ctl;
    private Process? _process;

    private RabbitMqServer(string server, string ctl, bool tls)
    {
        _server = server;
        _ctl = ctl;
        Directory = System.IO.Directory.CreateTempSubdirectory("herald-test-rabbitmq-").FullName;
        File.SetUnixFileMode(Directory, (UnixFileMode)0x1FF); // 0777: the node runs as the rabbitmq user
        Port = BrokerServers.FreePort();
        DistributionPort = BrokerServers.FreePort();
        NodeName = $"herald{Guid.NewGuid():N}"[..18] + "@localhost";
        if (!tls) return;
        TlsPort = BrokerServers.FreePort();
        var (certificate, key) = BrokerServers.WriteServerCertificate(Directory);
        File.WriteAllText(Path.Combine(Directory, "rabbitmq.conf"), $"""
            listeners.ssl.default = {TlsPort}
            ssl_options.certfile = {certificate}
            ssl_options.keyfile = {key}
            ssl_options.verify = verify_none
            ssl_options.fail_if_no_peer_cert = false
            """);
    }

    public string Directory { get; }
    public int Port { get; }
    /// <summary>The amqps:// port, when started with TLS (the test CA's server certificate, for 127.0.0.1 and localhost).</summary>
    public int? TlsPort { get; }
    public int DistributionPort { get; }
    public string NodeName { get; }

    /// <summary>amqp://guest:guest@127.0.0.1:port/ (the default virtual host).</summary>
    public string Url(string user = "guest", string password = "guest") => $"amqp://{user}:{password}@127.0.0.1:{Port}/";

    /// <summary>Why RabbitMQ cannot run here, or null.</summary>
    public static string? Unavailable() =>
        BrokerServers.Unavailable("rabbitmq-server")
        ?? (BrokerServers.Find("rabbitmqctl") is null ? "rabbitmqctl is not installed." : null)
        // Debian's rabbitmq-server switches to the rabbitmq user, which only root may do.
        ?? (BrokerServers.geteuid() != 0 ? "rabbitmq-server can only be started by root (it switches to the rabbitmq user)." : null);

    /// <summary>Starts a node, or skips (fails under HERALD_REQUIRE_RABBITMQ=1) when RabbitMQ is not installed.</summary>
    public static async Task<RabbitMqServer> StartAsync(bool tls = false)
    {
        if (Unavailable() is { } reason) BrokerServers.SkipOrFail(RequireVariable, reason);
        var server = new RabbitMqServer(BrokerServers.Find("rabbitmq-server")!, BrokerServers.Find("rabbitmqctl")!, tls);
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the node (again, after <see cref="StopAsync"/>) on the same ports and data, and waits until it takes AMQP connections.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(_server)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["RABBITMQ_NODE_PORT"] = Port.ToString();
        info.Environment["RABBITMQ_DIST_PORT"] = DistributionPort.ToString();
        info.Environment["RABBITMQ_NODENAME"] = NodeName;
        info.Environment["RABBITMQ_MNESIA_BASE"] = Path.Combine(Directory, "mnesia");
        info.Environment["RABBITMQ_LOG_BASE"] = Path.Combine(Directory, "log");
        info.Environment["RABBITMQ_FEATURE_FLAGS_FILE"] = Path.Combine(Directory, "feature_flags");
        info.Environment["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(Directory, "enabled_plugins");
        info.Environment["ERL_CRASH_DUMP"] = Path.Combine(Directory, "erl_crash.dump");
        info.Environment["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1";
        if (TlsPort is not null) info.Environment["RABBITMQ_CONFIG_FILE"] = Path.Combine(Directory, "rabbitmq.conf");
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await BrokerServers.WaitAsync(async () => process.HasExited ? throw new InvalidOperationException(
                $"rabbitmq-server exited ({process.ExitCode}): {BrokerServers.Tail(Path.Combine(Directory, "log", NodeName + ".log"))}")
            : await BrokerServers.AcceptsAsync(Port) && (TlsPort is not { } tls || await BrokerServers.AcceptsAsync(tls)),
            TimeSpan.FromSeconds(120), "RabbitMQ to accept connections");
    }

    /// <summary>Stops the node (rabbitmqctl stop: a clean shutdown, persistent messages kept) and waits until its port is closed.</summary>
    public async Task StopAsync()
    {
        var (code, output) = await CtlAsync("stop");
        if (code != 0 && _process is { HasExited: false } running) running.Kill(entireProcessTree: true);
        if (_process is { } process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
            process.Dispose();
            _process = null;
        }
        await BrokerServers.WaitAsync(async () => !await BrokerServers.AcceptsAsync(Port), TimeSpan.FromSeconds(60), "RabbitMQ to stop", () => output);
    }

    /// <summary>Adds a user with every permission on the default virtual host (nothing when it exists already).</summary>
    public async Task EnsureUserAsync(string user, string password)
    {
        lock (_users) if (!_users.Add(user)) return;
        var (added, output) = await CtlAsync("add_user", user, password);
        if (added != 0 && !output.Contains("already exists", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("rabbitmqctl add_user failed: " + output);
        var (permitted, why) = await CtlAsync("set_permissions", "-p", "/", user, ".*", ".*", ".*");
        if (permitted != 0) throw new InvalidOperationException("rabbitmqctl set_permissions failed: " + why);
    }

    private readonly HashSet<string> _users = [];

    /// <summary>Runs rabbitmqctl against this node.</summary>
    public async Task<(int Code, string Output)> CtlAsync(params string[] args)
    {
        var info = new ProcessStartInfo(_ctl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(NodeName);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); return (-1, "rabbitmqctl timed out"); }
        return (process.ExitCode, await stdout + await stderr);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            try { await StopAsync(); }
            catch (Exception) { _process?.Kill(entireProcessTree: true); }
        }
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}

/// <summary>One nats-server with JetStream (-js), its store in a fresh temporary directory; optionally with a user and password.</summary>
public sealed class NatsServer : IAsyncDisposable
{
    public const string RequireVariable = "HERALD_REQUIRE_NATS";

    private readonly string _server;
    private readonly string? _user;
    private readonly string? _password;
    private Process? _process;

    private NatsServer(string server, string? user, string? password, bool tls)
    {
        _server = server;
        _user = user;
        _password = password;
        Directory = System.IO.Directory.CreateTempSubdirectory("herald-test-nats-").FullName;
        Port = BrokerServers.FreePort();
        if (tls) _tls = BrokerServers.WriteServerCertificate(Directory);
    }

    private readonly (string Certificate, string Key)? _tls;

    public string Directory { get; }
    public int Port { get; }

    /// <summary>nats://[user:password@]127.0.0.1:port with this server's credentials, or the given ones.</summary>
    public string Url(string? user = null, string? password = null)
    {
        user ??= _user;
        password ??= _password;
        return user is null ? $"nats://127.0.0.1:{Port}" : $"nats://{user}:{password}@127.0.0.1:{Port}";
    }

    public static string? Unavailable() => BrokerServers.Unavailable("nats-server");

    /// <summary>Starts a server, or skips (fails under HERALD_REQUIRE_NATS=1) when nats-server is not installed.</summary>
    public static async Task<NatsServer> StartAsync(string? user = null, string? password = null, bool tls = false)
    {
        if (Unavailable() is { } reason) BrokerServers.SkipOrFail(RequireVariable, reason);
        var server = new NatsServer(BrokerServers.Find("nats-server")!, user, password, tls);
        await server.StartAgainAsync();
        return server;
    }

    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo(_server) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(), "-sd", Directory }) info.ArgumentList.Add(arg);
        if (_user is not null)
        {
            info.ArgumentList.Add("--user");
            info.ArgumentList.Add(_user);
            info.ArgumentList.Add("--pass");
            info.ArgumentList.Add(_password ?? "");
        }
        if (_tls is { } tls)
            foreach (var arg in new[] { "--tls", "--tlscert", tls.Certificate, "--tlskey", tls.Key }) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await BrokerServers.WaitAsync(async () => process.HasExited
                ? throw new InvalidOperationException($"nats-server exited ({process.ExitCode}): {string.Join("\n", log.TakeLast(10))}")
                : await BrokerServers.AcceptsAsync(Port), TimeSpan.FromSeconds(60), "nats-server to accept connections");
    }

    /// <summary>Stops the server with SIGTERM (a clean shutdown: JetStream keeps its store) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process) return;
        if (!process.HasExited) BrokerServers.kill(process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { process.Kill(); }
        process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }
}
