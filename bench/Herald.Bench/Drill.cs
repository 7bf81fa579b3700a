using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace Herald.Bench;

/// <summary>
/// Resilience drills against real Herald processes: kill -9 while publishing and delivering, misbehaving receivers beside a
/// healthy one, and two PostgreSQL nodes with one killed. Prints "N passed, N failed".
/// </summary>
public static class Drill
{
    public static async Task<int> RunAsync(BenchOptions o)
    {
        var drills = new List<(string Name, Func<Task<string>> Run)>
        {
            ("kill -9 five times while publishing and delivering (SQLite)", () => KillLoopAsync(o.Events)),
            ("slow, failing, resetting, silent and 50 MB receivers beside a healthy one", () => BadReceiversAsync(o.Events)),
        };
        if (!string.IsNullOrEmpty(o.Postgres)) drills.Add(("two PostgreSQL nodes, one killed mid-run", () => TwoNodesAsync(o.Events, o.Postgres!)));
        else Console.WriteLine("drill: two-node PostgreSQL drill not run: no --postgres connection string (or HERALD_TEST_POSTGRES).");
        drills.AddRange(StorageDrills.Available());
        drills.AddRange(WildDrills.All(o));
        // HERALD_DRILL_ONLY=text runs only the drills whose name contains it; "a|b" those whose name contains a or b.
        if (Environment.GetEnvironmentVariable("HERALD_DRILL_ONLY") is { Length: > 0 } only)
        {
            var wanted = only.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            drills.RemoveAll(d => !wanted.Any(w => d.Name.Contains(w, StringComparison.OrdinalIgnoreCase)));
        }

        int passed = 0, failed = 0;
        foreach (var (name, run) in drills)
        {
            Console.WriteLine($"drill: {name} ...");
            try
            {
                Console.WriteLine($"  PASS {await run()}");
                passed++;
            }
            catch (Exception e)
            {
                Console.WriteLine($"  FAIL {e.Message}");
                failed++;
            }
        }
        Console.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static Dictionary<string, string> Fast => new()
    {
        ["Herald__Delivery__LeaseDuration"] = "00:00:04",
        ["Herald__Delivery__Timeout"] = "00:00:02",
        ["Herald__Delivery__ConnectTimeout"] = "00:00:01",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
        ["Herald__Delivery__RetrySchedule"] = "1s,1s,2s,2s",
        ["Herald__Delivery__RetryJitter"] = "0",
    };

    private static async Task<string> KillLoopAsync(int events)
    {
        await using var receivers = await Receivers.StartAsync(1);
        receivers.Behaviour = async _ => await Task.Delay(5);
        var directory = Directory.CreateTempSubdirectory("herald-drill-").FullName;
        var port = Benchmark.FreePort();
        var accepted = new ConcurrentBag<string>();
        var random = new Random(7);
        HeraldNode? node = null;
        try
        {
            for (var round = 0; round <= 5; round++)
            {
                node = HeraldNode.Start(directory, "sqlite", null, port, Fast);
                await node.WaitHealthyAsync();
                using var client = node.Client();
                if (round == 0)
                    (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receivers.Ports[0]}/hook" })).EnsureSuccessStatusCode();
                if (round == 5) break; // the last node only finishes the work
                using var stop = new CancellationTokenSource();
                var publishing = PublishUntilAsync(client, accepted, events / 5, stop.Token);
                await Task.Delay(random.Next(150, 900));
                node.Kill(); // kill -9 mid-publish and mid-delivery
                await stop.CancelAsync();
                await publishing;
                await node.DisposeAsync();
            }
            await WaitAllAsync(receivers, accepted, TimeSpan.FromSeconds(90));
            return $"{accepted.Count} accepted across 5 kills, all delivered at least once, {receivers.Duplicates} duplicate(s)";
        }
        finally
        {
            if (node is not null) await node.DisposeAsync();
        }
    }

    private static async Task<string> BadReceiversAsync(int events)
    {
        await using var receivers = await Receivers.StartAsync(6);
        var healthyPort = receivers.Ports[0];
        var hang = new TaskCompletionSource();
        receivers.Behaviour = async context =>
        {
            switch (context.Connection.LocalPort - 0)
            {
                case var p when p == receivers.Ports[1]: await Task.Delay(TimeSpan.FromSeconds(5)); break;               // slow
                case var p when p == receivers.Ports[2]: context.Response.StatusCode = 500; break;                       // failing
                case var p when p == receivers.Ports[3]: context.Abort(); break;                                          // reset
                case var p when p == receivers.Ports[4]: await hang.Task.WaitAsync(context.RequestAborted); break;        // never answers
                case var p when p == receivers.Ports[5]:                                                                 // 50 MB body
                    var chunk = new byte[1 << 20];
                    for (var i = 0; i < 50 && !context.RequestAborted.IsCancellationRequested; i++) await context.Response.Body.WriteAsync(chunk);
                    break;
            }
        };
        var directory = Directory.CreateTempSubdirectory("herald-drill-").FullName;
        await using var node = HeraldNode.Start(directory, "sqlite", null, Benchmark.FreePort(), Fast);
        await node.WaitHealthyAsync();
        using var client = node.Client();
        foreach (var port in receivers.Ports)
            (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{port}/hook" })).EnsureSuccessStatusCode();

        var publishedAt = new ConcurrentDictionary<string, long>();
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var t0 = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync("/v1/events", Benchmark.SampleEvent(i), ct);
            response.EnsureSuccessStatusCode();
            publishedAt[(await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetString()!] = t0;
        });
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (receivers.FirstSeen.Keys.Count(k => k.Receiver == 0) < events && Stopwatch.GetTimestamp() < deadline) await Task.Delay(50);
        hang.TrySetResult();

        var healthy = receivers.FirstSeen.Where(r => r.Key.Receiver == 0 && publishedAt.ContainsKey(r.Key.EventId))
            .Select(r => Stopwatch.GetElapsedTime(publishedAt[r.Key.EventId], r.Value).TotalMilliseconds).ToList();
        if (healthy.Count < events) throw new Exception($"the healthy receiver got {healthy.Count} of {events} events");
        var p99 = Benchmark.Percentile(healthy, 99);
        var peak = node.PeakRssBytes / 1048576.0;
        if (p99 > 2000) throw new Exception($"the healthy destination's p99 latency was {p99:N0} ms");
        if (peak > 600) throw new Exception($"Herald's memory peaked at {peak:N0} MiB");
        return $"healthy destination got all {events} events, publish→receipt p99 {p99:N0} ms; Herald peak memory {peak:N0} MiB";
    }

    private static async Task<string> TwoNodesAsync(int events, string admin)
    {
        var database = await Benchmark.FreshPostgresDatabaseAsync(admin);
        try
        {
            await using var receivers = await Receivers.StartAsync(1);
            receivers.Behaviour = async _ => await Task.Delay(10);
            var a = HeraldNode.Start(Directory.CreateTempSubdirectory("herald-drill-a-").FullName, "postgres", database, Benchmark.FreePort(), Fast);
            await a.WaitHealthyAsync();
            var b = HeraldNode.Start(Directory.CreateTempSubdirectory("herald-drill-b-").FullName, "postgres", database, Benchmark.FreePort(), Fast);
            await b.WaitHealthyAsync();
            await using (a)
            await using (b)
            {
                using var clientA = a.Client();
                using var clientB = b.Client();
                (await clientA.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receivers.Ports[0]}/hook" })).EnsureSuccessStatusCode();
                var accepted = new ConcurrentBag<string>();
                await Task.WhenAll(PublishUntilAsync(clientA, accepted, events / 2, CancellationToken.None), PublishUntilAsync(clientB, accepted, events / 2, CancellationToken.None));
                while (receivers.FirstSeen.Count < accepted.Count / 3) await Task.Delay(20);
                b.Kill();
                await WaitAllAsync(receivers, accepted, TimeSpan.FromSeconds(90));
                return $"{accepted.Count} accepted on two nodes, node B killed mid-run, node A delivered the rest; {receivers.Duplicates} duplicate(s)";
            }
        }
        finally
        {
            await Benchmark.DropPostgresDatabaseAsync(admin, database);
        }
    }

    /// <summary>Publishes up to <paramref name="count"/> events, keeping the ids of those acknowledged with 202; stops quietly when the node dies.</summary>
    private static async Task PublishUntilAsync(HttpClient client, ConcurrentBag<string> accepted, int count, CancellationToken stop)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
        {
            if (stop.IsCancellationRequested) return;
            try
            {
                using var response = await client.PostAsJsonAsync("/v1/events", Benchmark.SampleEvent(i));
                if (response.StatusCode == System.Net.HttpStatusCode.Accepted)
                    accepted.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!);
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            catch (IOException) { }
        });
    }

    internal static async Task WaitAllAsync(Receivers receivers, IReadOnlyCollection<string> accepted, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * timeout.TotalSeconds);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (accepted.All(id => receivers.FirstSeen.ContainsKey((0, id)))) return;
            await Task.Delay(100);
        }
        var missing = accepted.Count(id => !receivers.FirstSeen.ContainsKey((0, id)));
        throw new Exception($"{missing} of {accepted.Count} acknowledged events never arrived");
    }
}
