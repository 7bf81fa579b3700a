using System.Diagnostics;

namespace Herald.Bench;

/// <summary>Herald as a separate process (the Herald.dll built beside this benchmark), with its resource use read from /proc.</summary>
public sealed class HeraldNode : IAsyncDisposable
{
    public const string AdminKey = "hk_admin_benchbenchbenchbenchbenchbenchbench";
    public const string MasterKey = "YmVuY2gtbWFzdGVyLWtleS1iZW5jaC1tYXN0ZXIta2U=";

    private readonly Process _process;
    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public long PeakRssBytes { get; private set; }
    /// <summary>What Herald wrote to standard output (its console log), line by line: the last 20,000 lines.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();
    private readonly Timer _sampler;

    private HeraldNode(Process process, int port)
    {
        _process = process;
        Port = port;
        _sampler = new Timer(_ => Sample(), null, 0, 200);
    }

    public static HeraldNode Start(string dataDirectory, string store, string? postgres, int port, IDictionary<string, string>? extra = null)
    {
        var info = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Herald.dll"), "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = dataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var env = info.Environment;
        env["Herald__DataDirectory"] = Path.Combine(dataDirectory, "data");
        env["Herald__Storage__Provider"] = store;
        if (store == "postgres")
        {
            env["Herald__Storage__ConnectionString"] = postgres;
            env["Herald__Secrets__MasterKey"] = MasterKey;
        }
        env["Herald__Bootstrap__AdminKey"] = AdminKey;
        env["Herald__Bootstrap__OperatorKey"] = "hk_operator_benchbenchbenchbenchbenchbench";
        env["Herald__Delivery__AllowHttp"] = "true";
        env["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) env[key] = value;
        var process = Process.Start(info)!;
        var node = new HeraldNode(process, port);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            node.Log.Enqueue(e.Data);
            // Herald logs a line per request by default: keep the last 20,000, enough for any drill's checks.
            if (node.Log.Count > 20_000) node.Log.TryDequeue(out string? _);
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  herald: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    public HttpClient Client() => ServedProcess.Client(BaseAddress, AdminKey);

    public Task WaitHealthyAsync() => ServedProcess.WaitReadyAsync(_process, BaseAddress, "Herald", TimeSpan.FromSeconds(30));

    /// <summary>User + system CPU time of the process so far, from /proc/{pid}/stat.</summary>
    public TimeSpan CpuTime()
    {
        try { return ProcessStats.CpuTime(_process.Id); }
        catch (Exception) { return TimeSpan.Zero; }
    }

    private void Sample()
    {
        try { if (ProcessStats.PeakRssBytes(_process.Id) is { } peak) PeakRssBytes = peak; }
        catch (Exception) { }
    }

    public bool HasExited => _process.HasExited;
    public int Pid => _process.Id;

    /// <summary>Sends SIGTERM (as a container runtime or systemd would) and waits for the process to exit; returns how long it took.</summary>
    public async Task<TimeSpan> TerminateAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString()]))!) await kill.WaitForExitAsync();
        using var bound = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(bound.Token);
        return watch.Elapsed;
    }

    public int ExitCode => _process.ExitCode;

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        _sampler.Dispose();
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
