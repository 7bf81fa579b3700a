using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Herald.Bench;

/// <summary>
/// Delivery in the wild (issue 14): a population of webhook destinations of which some hang and some fail slowly, beside an
/// all-healthy baseline of the same shape; SIGTERM with sends in flight and deliveries queued, then a restart on the same
/// data; and erasing a project while its deliveries are in flight (SQLite, and PostgreSQL when a server is given).
/// </summary>
public static class WildDrills
{
    public static IEnumerable<(string Name, Func<Task<string>> Run)> All(BenchOptions o)
    {
        yield return ("bad-endpoint population: 80% healthy, 10% hanging, 10% answering 500 slowly, beside an all-healthy baseline", () => PopulationAsync(o.Events));
        yield return ("SIGTERM with sends in flight and deliveries queued, then restart on the same data", () => SigtermAsync(o.Events));
        yield return ("erasure under delivery (SQLite)", () => ErasureAsync(o.Events, null));
        if (!string.IsNullOrEmpty(o.Postgres)) yield return ("erasure under delivery (PostgreSQL)", () => ErasureAsync(o.Events, o.Postgres));
        else Console.WriteLine("drill: PostgreSQL erasure drill not run: no --postgres connection string (or HERALD_TEST_POSTGRES).");
    }

    // ---------------------------------------------------------------- bad-endpoint population

    /// <summary>
    /// N events at 20/s, each fanned out to every destination: 50 destinations at CI size (N &lt; 2,000), the issue's 200 with
    /// N ≥ 2,000. Herald runs with its default delivery settings; at CI size only the send timeout is 3 s instead of 15 s, so
    /// that the hanging destinations' circuits open within the run.
    /// </summary>
    private static async Task<string> PopulationAsync(int events)
    {
        var full = events >= 2000;
        var destinations = full ? 200 : 50;
        var settings = new Dictionary<string, string>();
        if (!full) settings["Herald__Delivery__Timeout"] = "00:00:03";
        var baseline = await PopulationRunAsync(events, destinations, bad: 0, full, settings);
        Console.WriteLine($"  baseline: {baseline.Text}");
        var wild = await PopulationRunAsync(events, destinations, bad: destinations / 10, full, settings);
        Console.WriteLine($"  with bad endpoints: {wild.Text}");
        var figures = $"{destinations} destinations, {events} events at 20/s{(full ? "" : ", Timeout 3 s")}; healthy publish→receipt p50/p99/max " +
            $"{wild.P50:N0}/{wild.P99:N0}/{wild.Max:N0} ms with {destinations / 10} hanging and {destinations / 10} slow-500 destinations, " +
            $"{baseline.P50:N0}/{baseline.P99:N0}/{baseline.Max:N0} ms all healthy; {wild.Circuits}";
        if (wild.Missing > 0 || baseline.Missing > 0)
            throw new Exception($"healthy deliveries missing: {wild.Missing} with bad endpoints, {baseline.Missing} all healthy; {figures}");
        if (wild.P99 > 2000) throw new Exception($"healthy p99 {wild.P99:N0} ms > 2,000 ms; {figures}");
        if (!wild.AllBadOpened) throw new Exception($"not every bad destination's circuit opened; {figures}");
        return figures;
    }

    private sealed record PopulationResult(double P50, double P99, double Max, long Missing, string Circuits, bool AllBadOpened, string Text);

    private static async Task<PopulationResult> PopulationRunAsync(int events, int destinations, int bad, bool full, Dictionary<string, string> settings)
    {
        var healthyCount = destinations - 2 * bad;
        await using var farm = await Farm.StartAsync(healthyCount + bad);
        await using var hanging = new HangingPorts(bad);
        // Receivers 0..healthy-1 answer 200 at once; healthy..healthy+bad-1 answer 500 after 2–5 s (5 s at full size, as in the issue).
        farm.Behaviour = async (index, context) =>
        {
            if (index < healthyCount) return;
            var delay = full ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(2 + (index - healthyCount) % 4);
            try { await Task.Delay(delay, context.RequestAborted); } catch (OperationCanceledException) { return; }
            context.Response.StatusCode = 500;
        };
        var directory = Directory.CreateTempSubdirectory("herald-drill-wild-").FullName;
        await using var node = HeraldNode.Start(directory, "sqlite", null, Benchmark.FreePort(), settings);
        await node.WaitHealthyAsync();
        using var client = node.Client();
        var badIds = new List<string>();
        var healthyIds = new List<string>();
        for (var i = 0; i < destinations; i++)
        {
            var port = i < farm.Ports.Length ? farm.Ports[i] : hanging.Ports[i - farm.Ports.Length];
            using var response = await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{port}/hook" });
            response.EnsureSuccessStatusCode();
            var id = response.Headers.Location!.OriginalString.Split('/')[^1];
            (i < healthyCount ? healthyIds : badIds).Add(id);
        }

        // Publish at a fixed 20 events/s; each event goes to every destination.
        var publishedAt = new ConcurrentDictionary<string, long>();
        var failures = 0;
        var started = Stopwatch.GetTimestamp();
        var cpuBefore = node.CpuTime();
        var publishes = new List<Task>();
        for (var i = 0; i < events; i++)
        {
            var due = started + (long)(i * Stopwatch.Frequency / 20.0);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            var index = i;
            publishes.Add(Task.Run(async () =>
            {
                var t0 = Stopwatch.GetTimestamp();
                var (status, id) = await Benchmark.PublishAsync(client, index, CancellationToken.None);
                if (status == 202) publishedAt[id] = t0; else Interlocked.Increment(ref failures);
            }));
        }
        await Task.WhenAll(publishes);
        if (failures > 0) throw new Exception($"{failures} publishes were not accepted");
        var expected = (long)events * healthyCount;
        // Only the drill's own events: the healthy destinations also get Herald's notices (herald.destination.circuit_opened, ...),
        // which must not make the wait end before every published event's deliveries arrived.
        long Received() => farm.FirstSeen.Keys.Count(k => k.Receiver < healthyCount && publishedAt.ContainsKey(k.EventId));
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (Received() < expected && Stopwatch.GetTimestamp() < deadline) await Task.Delay(100);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = (node.CpuTime() - cpuBefore).TotalSeconds / seconds;

        var latencies = farm.FirstSeen.Where(r => r.Key.Receiver < healthyCount && publishedAt.ContainsKey(r.Key.EventId))
            .Select(r => Stopwatch.GetElapsedTime(publishedAt[r.Key.EventId], r.Value).TotalMilliseconds).ToList();
        var missing = expected - latencies.Count;
        var missingText = "";
        if (missing > 0)
        {
            // What Herald says of a few healthy deliveries that never arrived (status, tries, last outcome, next try).
            var samples = new List<string>();
            foreach (var id in publishedAt.Keys)
            {
                var absent = Enumerable.Range(0, healthyCount).Where(r => !farm.FirstSeen.ContainsKey((r, id))).Select(r => healthyIds[r]).ToHashSet();
                if (absent.Count == 0) continue;
                var e = await client.GetFromJsonAsync<JsonElement>($"/v1/events/{id}");
                foreach (var d in e.GetProperty("delivery_list").EnumerateArray().Where(d => absent.Contains(d.GetProperty("destination_id").GetString()!)))
                    samples.Add($"{d.GetProperty("status")}/{d.GetProperty("attempts")} tries/{d.GetProperty("last_outcome")}/next {d.GetProperty("next_attempt_at")}");
                if (samples.Count >= 5) break;
            }
            missingText = $"; missing healthy deliveries, as Herald shows them: {string.Join("; ", samples)}";
        }

        var circuits = "";
        var allOpened = true;
        if (bad > 0)
        {
            // The bad destinations' circuits open once each has failed 5 times in a row; give the slowest a little longer.
            var circuitDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * (full ? 60 : 30);
            Dictionary<string, int> states;
            while (true)
            {
                states = await CircuitsAsync(client, badIds);
                var closed = states.GetValueOrDefault("closed");
                if (closed == 0 || Stopwatch.GetTimestamp() > circuitDeadline) break;
                await Task.Delay(500);
            }
            var healthyStates = await CircuitsAsync(client, healthyIds);
            allOpened = states.GetValueOrDefault("closed") == 0;
            circuits = $"circuits of the {badIds.Count} bad destinations: {Describe(states)} (after {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s); " +
                $"healthy ones: {Describe(healthyStates)}; bad receivers got {Interlocked.Read(ref farm.Total) - farm.FirstSeen.Keys.Count(k => k.Receiver < healthyCount)} requests, " +
                $"hanging ones {hanging.Accepted} connections";
            if (healthyStates.GetValueOrDefault("closed") != healthyIds.Count) allOpened = false;
        }
        var text = $"healthy deliveries {latencies.Count:N0}/{expected:N0}, publish→receipt p50 {Benchmark.Percentile(latencies, 50):N0} ms, " +
            $"p99 {Benchmark.Percentile(latencies, 99):N0} ms, max {(latencies.Count == 0 ? 0 : latencies.Max()):N0} ms; Herald CPU {cpu:P0} of one core, " +
            $"peak {node.PeakRssBytes / 1048576.0:N0} MiB, {seconds:0} s{(circuits.Length > 0 ? "; " + circuits : "")}{missingText}";
        try { Directory.Delete(directory, true); } catch (IOException) { }
        return new PopulationResult(Benchmark.Percentile(latencies, 50), Benchmark.Percentile(latencies, 99), latencies.Count == 0 ? 0 : latencies.Max(),
            missing, circuits, allOpened, text);
    }

    private static async Task<Dictionary<string, int>> CircuitsAsync(HttpClient client, IEnumerable<string> ids)
    {
        var states = new Dictionary<string, int>();
        foreach (var id in ids)
        {
            var d = await client.GetFromJsonAsync<JsonElement>($"/v1/destinations/{id}");
            var state = d.GetProperty("circuit").GetString()!;
            states[state] = states.GetValueOrDefault(state) + 1;
        }
        return states;
    }

    private static string Describe(Dictionary<string, int> states) => string.Join(", ", states.OrderBy(s => s.Key).Select(s => $"{s.Value} {s.Key}"));

    // ---------------------------------------------------------------- SIGTERM

    /// <summary>
    /// Four destinations whose receivers answer after 400 ms; N events (4N deliveries) published; once lanes have ramped up,
    /// SIGTERM. Default delivery settings (lease 60 s, ShutdownGrace 10 s): a lease left in the store would make its delivery
    /// wait up to a minute after the restart.
    /// </summary>
    private static async Task<string> SigtermAsync(int events)
    {
        const int destinations = 4;
        await using var farm = await Farm.StartAsync(destinations);
        var slow = true;
        farm.Behaviour = async (_, context) =>
        {
            if (!Volatile.Read(ref slow)) return;
            try { await Task.Delay(400, context.RequestAborted); } catch (OperationCanceledException) { Interlocked.Increment(ref farm.Aborted); }
        };
        var directory = Directory.CreateTempSubdirectory("herald-drill-term-").FullName;
        var port = Benchmark.FreePort();
        var logging = new Dictionary<string, string> { ["Logging__LogLevel__Herald.Delivery"] = "Information" };
        var node = HeraldNode.Start(directory, "sqlite", null, port, logging);
        HeraldNode? restarted = null;
        try
        {
            await node.WaitHealthyAsync();
            using (var client = node.Client())
            {
                foreach (var p in farm.Ports)
                    (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{p}/hook" })).EnsureSuccessStatusCode();
                await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                {
                    if ((await Benchmark.PublishAsync(client, i, ct)).Status != 202) throw new Exception("publish failed");
                });
            }
            var expected = events * destinations;
            // Lanes start at one send in flight and grow by one per success: wait until they are well under way.
            var rampDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 20;
            while (farm.FirstSeen.Count < Math.Min(expected / 4, 150) && Stopwatch.GetTimestamp() < rampDeadline) await Task.Delay(20);
            var inFlight = Interlocked.Read(ref farm.Active);
            var beforeTerm = farm.FirstSeen.Count;
            var shutdown = await node.TerminateAsync(TimeSpan.FromSeconds(40));
            var sentBeforeExit = farm.FirstSeen.Count;
            var stopLine = node.Log.FirstOrDefault(l => l.Contains("lease(s) handed back")) ?? "(no shutdown line logged)";
            // On a failure, what Herald logged from the stop on (request lines left out) says what its shutdown did.
            var shutdownLog = string.Join(" / ", node.Log.SkipWhile(l => !l.Contains("shutting down"))
                .Where(l => !l.Contains("Herald.Requests[") && !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\s+(GET|POST|PUT|PATCH|DELETE) /"))
                .Select(l => l.Trim()).TakeLast(16));

            // What the store holds now: deliveries still pending, and any lease not handed back.
            var (pending, held, longestLease) = Leases(Path.Combine(directory, "data", "herald.db"));

            Volatile.Write(ref slow, false); // the restarted node drains against quick receivers: its waits are for leases, not for them
            var restartAt = Stopwatch.GetTimestamp();
            restarted = HeraldNode.Start(directory, "sqlite", null, port, logging);
            await restarted.WaitHealthyAsync();
            var readyAt = Stopwatch.GetTimestamp();
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 90;
            while (farm.FirstSeen.Count < expected && Stopwatch.GetTimestamp() < deadline) await Task.Delay(20);
            var after = farm.FirstSeen.Values.Where(t => t > restartAt).ToList();
            // The restarted process may deliver before /readyz is first seen (its start-up takes seconds on a loaded machine):
            // the wait that counts is from its first delivery to its last, with quick receivers; a held lease would add ~60 s.
            var spread = after.Count == 0 ? 0 : Stopwatch.GetElapsedTime(after.Min(), after.Max()).TotalMilliseconds;
            var firstAfterStart = after.Count == 0 ? 0 : Stopwatch.GetElapsedTime(restartAt, after.Min()).TotalMilliseconds;
            var lastAfterStart = after.Count == 0 ? 0 : Stopwatch.GetElapsedTime(restartAt, after.Max()).TotalMilliseconds;
            var duplicates = Interlocked.Read(ref farm.Duplicates);

            var figures = $"{expected} deliveries ({events} events × {destinations}, receivers 400 ms); SIGTERM with {inFlight} sends in flight and " +
                $"{expected - beforeTerm} not yet sent; exit {shutdown.TotalMilliseconds:N0} ms after SIGTERM (exit code {node.ExitCode}), " +
                $"{farm.Aborted} send(s) cut off, {sentBeforeExit - beforeTerm} started between the SIGTERM and the exit; after exit {pending} pending, {held} still leased" +
                $"{(held > 0 ? $" (longest lease {longestLease / 1000.0:0.0} s)" : "")}; restart: /readyz 200 after {Stopwatch.GetElapsedTime(restartAt, readyAt).TotalMilliseconds:N0} ms, " +
                $"{after.Count} delivered, the first {firstAfterStart:N0} ms and the last {lastAfterStart:N0} ms after the process started ({spread:N0} ms apart); " +
                $"{farm.FirstSeen.Count}/{expected} delivered, {duplicates} duplicate(s); Herald: \"{stopLine.Trim()}\"";
            if (farm.FirstSeen.Count < expected) throw new Exception($"not everything was delivered: {figures}; Herald's log from the stop: {shutdownLog}");
            if (duplicates > 0) throw new Exception($"duplicates: {figures}; Herald's log from the stop: {shutdownLog}");
            if (held > 0) throw new Exception($"leases left in the store after SIGTERM: {figures}; Herald's log from the stop: {shutdownLog}");
            if (spread > 2000) throw new Exception($"a queued delivery waited more than 2 s after the restart: {figures}");
            if (inFlight == 0 || pending == 0) throw new Exception($"the drill did not catch sends in flight and deliveries queued: {figures}");
            return figures;
        }
        finally
        {
            await node.DisposeAsync();
            if (restarted is not null) await restarted.DisposeAsync();
            try { Directory.Delete(directory, true); } catch (IOException) { }
        }
    }

    /// <summary>Pending deliveries, how many of them still hold a lease that has not expired, and the longest such lease (ms).</summary>
    private static (long Pending, long Held, long LongestMs) Leases(string database)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=false");
        connection.Open();
        using var command = connection.CreateCommand();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        command.CommandText = """
            SELECT COUNT(*),
                   SUM(CASE WHEN lease_owner IS NOT NULL AND lease_expires_at > $now THEN 1 ELSE 0 END),
                   MAX(CASE WHEN lease_owner IS NOT NULL AND lease_expires_at > $now THEN lease_expires_at - $now END)
            FROM deliveries WHERE status = 'pending'
            """;
        command.Parameters.AddWithValue("$now", now);
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? 0 : reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt64(2));
    }

    // ---------------------------------------------------------------- erasure

    /// <summary>
    /// Forty destinations whose receivers answer after 400 ms (their lanes want up to 640 sends at once, more than the node's
    /// 256, so many sends wait for a slot), N events published, then DELETE /v1/projects/{id}/data while deliveries are in flight. Default settings.
    /// </summary>
    private static async Task<string> ErasureAsync(int events, string? admin)
    {
        const int destinations = 40;
        var database = admin is null ? null : await Benchmark.FreshPostgresDatabaseAsync(admin);
        var directory = Directory.CreateTempSubdirectory("herald-drill-erase-").FullName;
        try
        {
            await using var farm = await Farm.StartAsync(destinations);
            // Arrival times of sends that ran to the end (were not cut off by the erasure).
            var answered = new ConcurrentBag<(string EventId, long At)>();
            farm.Behaviour = async (receiver, context) =>
            {
                try { await Task.Delay(400, context.RequestAborted); } catch (OperationCanceledException) { Interlocked.Increment(ref farm.Aborted); return; }
                var id = context.Request.Headers["webhook-id"].ToString();
                answered.Add((id, farm.FirstSeen[(receiver, id)]));
            };
            var settings = new Dictionary<string, string>();
            // HERALD_DRILL_MAX_CONCURRENCY=32 makes most sends wait for a slot (to look at sends that waited across the erasure).
            if (Environment.GetEnvironmentVariable("HERALD_DRILL_MAX_CONCURRENCY") is { Length: > 0 } max) settings["Herald__Delivery__MaxConcurrency"] = max;
            await using var node = HeraldNode.Start(directory, admin is null ? "sqlite" : "postgres", database, Benchmark.FreePort(), settings);
            await node.WaitHealthyAsync();
            using var client = node.Client();
            var project = (await client.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("project_id").GetString()!;
            foreach (var p in farm.Ports)
                (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{p}/hook" })).EnsureSuccessStatusCode();
            var published = new ConcurrentBag<string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var (status, id) = await Benchmark.PublishAsync(client, i, ct);
                if (status != 202) throw new Exception("publish failed");
                published.Add(id);
            });
            var expected = events * destinations;
            // Let the lanes ramp up (one more in flight per success) so that many sends are in flight when the erasure comes.
            var rampDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 20;
            while (farm.FirstSeen.Count < Math.Min(expected / 5, 600) && Stopwatch.GetTimestamp() < rampDeadline) await Task.Delay(20);

            var inFlight = Interlocked.Read(ref farm.Active);
            var receivedBefore = farm.FirstSeen.Count;
            var deleteAt = Stopwatch.GetTimestamp();
            using var erase = await client.DeleteAsync($"/v1/projects/{project}/data");
            var returnedAt = Stopwatch.GetTimestamp();
            var body = await erase.Content.ReadAsStringAsync();
            if (!erase.IsSuccessStatusCode) throw new Exception($"DELETE answered {(int)erase.StatusCode}: {body}");
            var deleted = JsonDocument.Parse(body).RootElement.GetProperty("events_deleted").GetInt32();

            await Task.Delay(3000); // anything still coming would come now
            var erased = published.ToHashSet();
            var late = farm.FirstSeen.Where(r => r.Value > returnedAt && erased.Contains(r.Key.EventId)).Select(r => r.Value).ToList();
            var duringDelete = farm.FirstSeen.Count(r => r.Value > deleteAt && r.Value <= returnedAt);
            // A send that started after the DELETE was sent and still ran to the end was not cancelled by the erasure: it began
            // after the erasure had cancelled the project's sends in flight (a send already in flight would have been cut off).
            var uncancelled = answered.Count(a => a.At > deleteAt && erased.Contains(a.EventId));
            var logLines = node.Log.ToList();
            var failedBatches = logLines.Count(l => l.Contains("could not be written"));
            var errors = logLines.Where(l => l.StartsWith("fail:") || l.Contains("Exception")).ToList();

            var figures = $"{(admin is null ? "SQLite" : "PostgreSQL")}: {expected} deliveries ({events} events × {destinations}, receivers 400 ms); " +
                $"DELETE with {inFlight} sends in flight and {receivedBefore} received; it took {Stopwatch.GetElapsedTime(deleteAt, returnedAt).TotalMilliseconds:N0} ms " +
                $"and erased {deleted} events; {farm.Aborted} send(s) cut off; {duringDelete} started while it ran, {uncancelled} of them (or later) answered in full; " +
                $"{late.Count} erased deliveries received after it returned{(late.Count > 0 ? $" (the last {Stopwatch.GetElapsedTime(returnedAt, late.Max()).TotalMilliseconds:N0} ms after)" : "")}; " +
                $"{failedBatches} outcome write failure(s) and {errors.Count} error line(s) in Herald's log";
            if (late.Count > 0) throw new Exception($"erased events were sent after the erasure returned: {figures}");
            // A send in flight when the erasure began is cut off; one that began after it and ran to the end means the dispatcher
            // went on starting erased work (e.g. sends that were waiting for a slot). Only a DELETE that took over 400 ms to reach
            // the erasure itself could make this count a send that began before it.
            if (uncancelled > 0) throw new Exception($"erased deliveries were started after the erasure began and not cancelled: {figures}");
            if (failedBatches > 0 || errors.Count > 0) throw new Exception($"{figures}; first: {string.Join(" | ", logLines.Where(l => l.Contains("could not be written") || l.StartsWith("fail:") || l.Contains("Exception")).Take(3))}");
            if (deleted != events) throw new Exception($"the erasure deleted {deleted} of {events} events: {figures}");
            if (inFlight == 0) throw new Exception($"no sends were in flight at the erasure: {figures}");
            return figures;
        }
        finally
        {
            try { Directory.Delete(directory, true); } catch (IOException) { }
            if (database is not null) await Benchmark.DropPostgresDatabaseAsync(admin!, database);
        }
    }

    // ---------------------------------------------------------------- receivers

    /// <summary>
    /// K webhook receivers on K loopback ports of one Kestrel server (each a different "customer endpoint" to Herald): each
    /// records when every event id first arrived, counts duplicates, and how many requests are inside it now.
    /// </summary>
    private sealed class Farm : IAsyncDisposable
    {
        private WebApplication _app = null!;
        public int[] Ports { get; private set; } = [];
        public ConcurrentDictionary<(int Receiver, string EventId), long> FirstSeen { get; } = new();
        public long Total, Duplicates, Active, Aborted;
        public Func<int, HttpContext, Task>? Behaviour { get; set; }

        public static async Task<Farm> StartAsync(int count)
        {
            var farm = new Farm();
            var ports = new HashSet<int>();
            while (ports.Count < count) ports.Add(Benchmark.FreePort());
            farm.Ports = ports.ToArray();
            var index = farm.Ports.Select((p, i) => (p, i)).ToDictionary(x => x.p, x => x.i);
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                foreach (var p in farm.Ports) k.Listen(IPAddress.Loopback, p);
            });
            farm._app = builder.Build();
            farm._app.Run(async context =>
            {
                var receiver = index[context.Connection.LocalPort];
                var id = context.Request.Headers["webhook-id"].ToString();
                Interlocked.Increment(ref farm.Total);
                if (!farm.FirstSeen.TryAdd((receiver, id), Stopwatch.GetTimestamp())) Interlocked.Increment(ref farm.Duplicates);
                Interlocked.Increment(ref farm.Active);
                try
                {
                    await context.Request.Body.CopyToAsync(Stream.Null);
                    if (farm.Behaviour is { } behaviour) await behaviour(receiver, context);
                }
                catch (Exception) when (context.RequestAborted.IsCancellationRequested) { }
                finally { Interlocked.Decrement(ref farm.Active); }
            });
            await farm._app.StartAsync();
            return farm;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    /// <summary>Loopback ports that accept TCP connections and never read or answer (the connection stays open).</summary>
    private sealed class HangingPorts : IAsyncDisposable
    {
        private readonly List<TcpListener> _listeners = [];
        private readonly ConcurrentBag<TcpClient> _held = [];
        private readonly CancellationTokenSource _stop = new();
        public List<int> Ports { get; } = [];
        public int Accepted => _held.Count;

        public HangingPorts(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start(1024);
                _listeners.Add(listener);
                Ports.Add(((IPEndPoint)listener.LocalEndpoint).Port);
                _ = Task.Run(async () =>
                {
                    try
                    {
                        while (true) _held.Add(await listener.AcceptTcpClientAsync(_stop.Token));
                    }
                    catch (Exception) { }
                });
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            foreach (var l in _listeners) l.Stop();
            foreach (var c in _held) c.Dispose();
        }
    }
}
