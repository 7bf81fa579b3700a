using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Herald.Tests.Infrastructure;

/// <summary>Herald as a real separate process (the built Herald.dll), for start-up, crash and multi-node tests.</summary>
public sealed class HeraldProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private HeraldProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int Id => _process.Id;
    public int ExitCode => _process.ExitCode;

    public static HeraldProcess Start(string workingDirectory, IDictionary<string, string?> environment, int? port = null)
    {
        var herald = Path.Combine(AppContext.BaseDirectory, "Herald.dll");
        port ??= FreePort();
        var info = new ProcessStartInfo("dotnet", [herald, "--urls", $"http://127.0.0.1:{port}"])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("Herald__", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        return new HeraldProcess(Process.Start(info)!, port.Value);
    }

    /// <summary>Waits until /healthz answers, or fails with the process output.</summary>
    public async Task WaitUntilHealthyAsync(TimeSpan? timeout = null)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) Assert.Fail($"Herald exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(50);
        }
        Assert.Fail($"Herald did not become healthy:\n{Output}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit(); // flushes the redirected output
        return _process.ExitCode;
    }

    /// <summary>Ends the process at once, like kill -9: no shutdown code runs.</summary>
    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
