using System.Diagnostics;
using System.Net.Http.Headers;

namespace Herald.Bench;

/// <summary>What the bench does the same way for every HTTP service it starts as a process (Herald, the peer).</summary>
public static class ServedProcess
{
    /// <summary>The client a run publishes with: many connections, long-lived, a bearer key.</summary>
    public static HttpClient Client(Uri baseAddress, string bearer)
    {
        var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    /// <summary>Waits until GET /readyz answers 2xx (polling every 100 ms), or throws when the process exits or time runs out.</summary>
    public static async Task WaitReadyAsync(Process process, Uri baseAddress, string name, TimeSpan timeout)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"{name} exited with {process.ExitCode}.");
            try { if ((await client.GetAsync("/readyz")).IsSuccessStatusCode) return; } catch (HttpRequestException) { } catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{name} did not become ready.");
    }
}
