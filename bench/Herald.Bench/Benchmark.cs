using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Herald.Bench;

/// <summary>
/// Herald end to end against the plain limit: first a bare HttpClient posting the same bodies to the same receivers at the
/// same concurrency; then Herald (a separate Release process) ingesting N events over HTTP and delivering them to K
/// destinations; then a paced run at 1,000 events/s for publish latency.
/// </summary>
public static class Benchmark
{
    public static async Task<BenchResult> RunAsync(BenchOptions o)
    {
        await using var receivers = await Receivers.StartAsync(o.Destinations);
        var body = SampleBody(0);
        Console.WriteLine($"Herald benchmark: store={o.Store} events={o.Events:N0} destinations={o.Destinations} concurrency={o.Concurrency}/destination");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1 << 30)} GiB, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");

        var limit = await PlainLimitAsync(receivers, body, Math.Max(100_000, Math.Min(o.Events * o.Destinations, 200_000)), o.Concurrency);
        Console.WriteLine($"limit: plain HttpClient {limit:N0} requests/s");
        receivers.Reset();

        var directory = Directory.CreateTempSubdirectory("herald-bench-").FullName;
        var postgres = o.Store == "postgres" ? await FreshPostgresDatabaseAsync(o.Postgres) : null;
        var port = FreePort();
        // Herald runs with its shipped defaults (request logging, metrics, concurrency, batch sizes): only what --set passes
        // changes them, and the run prints it.
        var settings = new Dictionary<string, string>(o.Settings);
        foreach (var (key, value) in settings) Console.WriteLine($"setting: {key}={value}");
        var live = new Dictionary<string, string>(settings);
        if (o.IngestOnly) live["Herald__Delivery__Worker"] = "false";
        await using var node = HeraldNode.Start(directory, o.Store, postgres, port, live);
        await node.WaitHealthyAsync();
        using var client = node.Client();
        foreach (var receiverPort in receivers.Ports)
            (await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receiverPort}/hook" })).EnsureSuccessStatusCode();
        if (o.Filtered > 0) await AddFilteredAsync(client, receivers.Ports[0], o.Filtered);

        if (o.DrainOnly)
        {
            node.Kill();
            var drainOnly = await DrainAsync(o, receivers, directory, postgres, settings);
            drainOnly = drainOnly with { RatioToLimit = drainOnly.DeliveriesPerSecond / limit };
            if (postgres is not null) await DropPostgresDatabaseAsync(o.Postgres!, postgres);
            try { Directory.Delete(directory, true); } catch (IOException) { }
            return new BenchResult(o.Store, o.Events, o.Destinations, o.Concurrency, Environment.ProcessorCount, 0, 0, 0, 0, (long)o.Events * o.Destinations, 0, 0,
                0, 0, 0, 0, 0, limit, 0, 0, 0, 0, drainOnly, DateTimeOffset.UtcNow);
        }

        // Warm-up (not measured): the JIT compiles the hot paths (tiered compilation with PGO takes Herald's CPU for its first
        // 10-20 s under load) and connections open, so the run shows the steady state of a service that has been up a while.
        var warmupStarted = Stopwatch.GetTimestamp();
        var warmup = 0;
        while (Stopwatch.GetElapsedTime(warmupStarted).TotalSeconds < o.WarmupSeconds || warmup < 100)
        {
            var from = warmup;
            await Parallel.ForEachAsync(Enumerable.Range(from, 1000), new ParallelOptions { MaxDegreeOfParallelism = o.Publishers }, async (i, ct) =>
            {
                if ((await PublishAsync(client, -1 - i, ct)).Status is var status && status != 202) throw new HttpRequestException($"warm-up publish answered {status}");
            });
            warmup += 1000;
        }
        Console.WriteLine($"warm-up: {warmup:N0} events in {Stopwatch.GetElapsedTime(warmupStarted).TotalSeconds:0} s");
        var warmupDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (!o.IngestOnly && receivers.FirstSeen.Count < (long)warmup * o.Destinations && Stopwatch.GetTimestamp() < warmupDeadline)
            await Task.Delay(20);
        receivers.Reset();

        var cpuBefore = node.CpuTime();
        var expected = (long)o.Events * o.Destinations;
        using var publishing = new LivePublishing("", o.Events, expected, receivers);
        var started = publishing.Started;
        var ingestSeconds = await publishing.RunAsync(client, o.Events, o.Publishers, "publish");

        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * (o.IngestOnly ? 0 : 600);
        while (receivers.FirstSeen.Count < expected && Stopwatch.GetTimestamp() < deadline) await Task.Delay(20);
        var deliverySeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = node.CpuTime() - cpuBefore;
        publishing.StopProgress();

        var endToEnd = publishing.EndToEnd(receivers);

        var delivered = receivers.FirstSeen.Count;
        var duplicates = Interlocked.Read(ref receivers.Duplicates);
        // Paced: 1,000 events/s for 5 s, publish latency only.
        var paced = await PacedAsync(client, 1000, TimeSpan.FromSeconds(5));
        // Let the paced events' deliveries finish here, so none is left over for the drain.
        var pacedDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 120;
        while (!o.IngestOnly && receivers.FirstSeen.Count < expected + 5_000L * o.Destinations && Stopwatch.GetTimestamp() < pacedDeadline)
            await Task.Delay(20);
        var liveMemory = node.PeakRssBytes;
        node.Kill();
        var drain = o.IngestOnly || !o.Drain ? null : await DrainAsync(o, receivers, directory, postgres, settings);
        if (drain is not null) drain = drain with { RatioToLimit = drain.DeliveriesPerSecond / limit };

        var result = new BenchResult(
            o.Store, o.Events, o.Destinations, o.Concurrency, Environment.ProcessorCount,
            IngestPerSecond: o.Events / ingestSeconds,
            PublishP50Ms: Percentile(publishing.Latencies, 50), PublishP99Ms: Percentile(publishing.Latencies, 99),
            Delivered: delivered, Expected: expected, Duplicates: duplicates,
            DeliveriesPerSecond: delivered / deliverySeconds,
            EndToEndP50Ms: Percentile(endToEnd, 50), EndToEndP99Ms: Percentile(endToEnd, 99), EndToEndMaxMs: endToEnd.Count == 0 ? 0 : endToEnd.Max(),
            PeakMemoryMiB: liveMemory / 1048576.0, CpuSecondsPer1000Deliveries: cpu.TotalSeconds / Math.Max(1, delivered) * 1000,
            LimitPerSecond: limit, RatioToLimit: delivered / deliverySeconds / limit,
            PacedRatePerSecond: paced.Rate, PacedPublishP50Ms: paced.P50, PacedPublishP99Ms: paced.P99,
            Drain: drain, At: DateTimeOffset.UtcNow) { LimitCpuPer1000 = LimitCpuPer1000 };
        if (postgres is not null) await DropPostgresDatabaseAsync(o.Postgres!, postgres);
        try { Directory.Delete(directory, true); } catch (IOException) { }
        return result;
    }

    /// <summary>
    /// Drain: a backlog of N events stored by a node with delivery off (its rate is publishing alone), then a node with
    /// delivery on sends it all; the rate between its first and last receipt is delivery alone, comparable with the limit.
    /// </summary>
    private static async Task<DrainResult> DrainAsync(BenchOptions o, Receivers receivers, string directory, string? postgres,
        Dictionary<string, string> settings)
    {
        var expected = (long)o.Events * o.Destinations;
        Console.WriteLine($"drain: storing a backlog of {o.Events:N0} events with delivery off");
        var latencies = new ConcurrentBag<double>();
        double ingestSeconds, ingestCpuPer1000;
        await using (var ingest = HeraldNode.Start(directory, o.Store, postgres, FreePort(),
            new Dictionary<string, string>(settings) { ["Herald__Delivery__Worker"] = "false" }))
        {
            await ingest.WaitHealthyAsync();
            using var client = ingest.Client();
            var ingestCpu = ingest.CpuTime();
            var started = Stopwatch.GetTimestamp();
            await Parallel.ForEachAsync(Enumerable.Range(0, o.Events), new ParallelOptions { MaxDegreeOfParallelism = o.Publishers }, async (i, ct) =>
            {
                var t0 = Stopwatch.GetTimestamp();
                if ((await PublishAsync(client, o.Events + i, ct)).Status != 202) throw new HttpRequestException("backlog publish failed");
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            });
            ingestSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            ingestCpuPer1000 = (ingest.CpuTime() - ingestCpu).TotalSeconds / o.Events * 1000;
        }

        receivers.Reset();
        Console.WriteLine($"drain: {expected:N0} deliveries, delivery on");
        await using var node = HeraldNode.Start(directory, o.Store, postgres, FreePort(), settings);
        // CPU over the second half of the receipts, as the rate below: the first half carries the new process's JIT.
        var cpuAtHalf = TimeSpan.Zero;
        // Long enough for a million-event backlog at a few thousand deliveries/s.
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * Math.Max(600, expected / 500);
        using var progress = new Timer(_ => Console.WriteLine($"  drain: delivered {receivers.FirstSeen.Count,10:N0}/{expected:N0}"), null, 10_000, 10_000);
        while (receivers.FirstSeen.Count < expected && Stopwatch.GetTimestamp() < deadline)
        {
            if (cpuAtHalf == TimeSpan.Zero && receivers.FirstSeen.Count >= expected / 2) cpuAtHalf = node.CpuTime();
            await Task.Delay(20);
        }
        var cpu = node.CpuTime() - cpuAtHalf;
        // The rate over the second half of the receipts: in the first, the new process is still warming up (JIT).
        var times = receivers.FirstSeen.Values.Order().ToList();
        var from = times.Count / 2;
        var rate = times.Count < 10 ? double.NaN : (times.Count - 1 - from) / Stopwatch.GetElapsedTime(times[from], times[^1]).TotalSeconds;
        return new DrainResult(o.Events / ingestSeconds, Percentile(latencies, 50), Percentile(latencies, 99),
            receivers.FirstSeen.Count, Interlocked.Read(ref receivers.Duplicates), rate,
            cpu.TotalSeconds / Math.Max(1, receivers.FirstSeen.Count - expected / 2) * 1000, node.PeakRssBytes / 1048576.0)
            { IngestCpuPer1000 = ingestCpuPer1000 };
    }

    private static readonly byte[] IdProperty = "\"id\":\""u8.ToArray();

    /// <summary>
    /// One publish with as little client-side work as possible (a ready-made body, the id found by a byte search), so the
    /// load generator, which shares the machine with Herald, takes little of its CPU.
    /// </summary>
    public static async Task<(int Status, string Id)> PublishAsync(HttpClient client, int i, CancellationToken ct)
    {
        using var content = new ByteArrayContent(SampleBody(i));
        content.Headers.ContentType = new("application/json");
        using var response = await client.PostAsync("/v1/events", content, ct);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct);
        var at = bytes.AsSpan().IndexOf(IdProperty);
        if (at < 0) return ((int)response.StatusCode, "");
        var rest = bytes.AsSpan(at + IdProperty.Length);
        return ((int)response.StatusCode, Encoding.UTF8.GetString(rest[..rest.IndexOf((byte)'"')]));
    }

    /// <summary>
    /// Destinations subscribed to the benchmark's events whose payload filter none of them matches (amount_usd is 41.2): every
    /// publish evaluates each filter at fan-out, and none gets a delivery, so the delivered counts stay those of the K receivers.
    /// </summary>
    private static async Task AddFilteredAsync(HttpClient client, int receiverPort, int count)
    {
        Console.WriteLine($"creating {count:N0} filtered destinations");
        for (var i = 0; i < count; i++)
        {
            var filter = new Dictionary<string, object>
            {
                // The two that hold first, so each filter is read to its end.
                ["data.customer"] = new Dictionary<string, object> { ["$prefix"] = "cus_" },
                ["categories"] = new Dictionary<string, object> { ["$in"] = new[] { "shop", "billing" } },
                ["data.amount_usd"] = new Dictionary<string, object> { ["$gte"] = 100 + i },
            };
            (await client.PostAsJsonAsync("/v1/destinations",
                new { kind = "webhook", url = $"http://127.0.0.1:{receiverPort}/filtered", events = new[] { "db.insert" }, filter })).EnsureSuccessStatusCode();
        }
    }

    public static byte[] SampleBody(int i) => Encoding.UTF8.GetBytes(
        $$"""{"type":"db.insert","data":{"table":"orders","id":{{i}},"customer":"cus_8f1c2d3e","amount_usd":41.2,"items":["sku-1","sku-2"]},"categories":["shop"]}""");

    public static object SampleEvent(int i) => new
    {
        type = "db.insert",
        data = new { table = "orders", id = i, customer = "cus_8f1c2d3e", amount_usd = 41.2, items = new[] { "sku-1", "sku-2" } },
        categories = new[] { "shop" },
    };

    /// <summary>CPU-seconds per 1,000 plain requests (client + receiver), from the last limit measured.</summary>
    public static double LimitCpuPer1000 { get; private set; }

    private static async Task<double> PlainLimitAsync(Receivers receivers, byte[] body, int total, int concurrencyPerReceiver)
    {
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024 });
        // Warm-up, as Herald gets one: 5 s, so the client's and receivers' code is past the JIT's tiers too (a shorter one left
        // the limit anywhere between 15,000 and 33,000 requests/s on the same machine).
        var warm = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 5) await PostAllAsync(client, receivers, body, 20_000, concurrencyPerReceiver);
        var started = Stopwatch.GetTimestamp();
        var cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        await PostAllAsync(client, receivers, body, total, concurrencyPerReceiver);
        var rate = total / Stopwatch.GetElapsedTime(started).TotalSeconds;
        // Client and receiver together (both in this process): what one plain request costs the machine.
        LimitCpuPer1000 = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds / total * 1000;
        Console.WriteLine($"limit: {LimitCpuPer1000:0.000} CPU-s per 1,000 requests (client and receiver together)");
        return rate;
    }

    private static async Task PostAllAsync(HttpClient client, Receivers receivers, byte[] body, int total, int concurrencyPerReceiver)
    {
        var sent = 0;
        var workers = receivers.Ports.SelectMany(port => Enumerable.Range(0, concurrencyPerReceiver).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref sent) <= total)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/hook") { Content = new ByteArrayContent(body) };
                request.Headers.Add("x-bench-id", Guid.NewGuid().ToString("N"));
                request.Content.Headers.ContentType = new("application/json");
                using var response = await client.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
        })));
        await Task.WhenAll(workers);
    }

    private static async Task<(double Rate, double P50, double P99)> PacedAsync(HttpClient client, int perSecond, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var tasks = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        var total = (int)(perSecond * duration.TotalSeconds);
        for (var i = 0; i < total; i++)
        {
            var due = started + (long)(i * Stopwatch.Frequency / (double)perSecond);
            while (Stopwatch.GetTimestamp() < due) await Task.Delay(1);
            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                var t0 = Stopwatch.GetTimestamp();
                var (status, _) = await PublishAsync(client, index, CancellationToken.None);
                if (status != 202) throw new HttpRequestException($"publish answered {status}");
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }));
        }
        await Task.WhenAll(tasks);
        return (total / Stopwatch.GetElapsedTime(started).TotalSeconds, Percentile(latencies, 50), Percentile(latencies, 99));
    }

    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return 0;
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<string> FreshPostgresDatabaseAsync(string? admin)
    {
        if (string.IsNullOrEmpty(admin)) throw new ArgumentException("--store postgres needs --postgres <connection string> (or HERALD_BENCH_POSTGRES).");
        var name = "herald_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new Npgsql.NpgsqlConnection(admin);
        await connection.OpenAsync();
        await new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection).ExecuteNonQueryAsync();
        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public static async Task DropPostgresDatabaseAsync(string admin, string database)
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await using var connection = new Npgsql.NpgsqlConnection(admin);
        await connection.OpenAsync();
        var name = new Npgsql.NpgsqlConnectionStringBuilder(database).Database;
        await new Npgsql.NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection).ExecuteNonQueryAsync();
    }
}

public sealed record BenchResult(
    string Store, int Events, int Destinations, int Concurrency, int Cores,
    double IngestPerSecond, double PublishP50Ms, double PublishP99Ms,
    long Delivered, long Expected, long Duplicates, double DeliveriesPerSecond,
    double EndToEndP50Ms, double EndToEndP99Ms, double EndToEndMaxMs,
    double PeakMemoryMiB, double CpuSecondsPer1000Deliveries,
    double LimitPerSecond, double RatioToLimit,
    double PacedRatePerSecond, double PacedPublishP50Ms, double PacedPublishP99Ms,
    DrainResult? Drain, DateTimeOffset At)
{
    /// <summary>The plain limit's CPU-seconds per 1,000 requests (client and receiver together).</summary>
    public double LimitCpuPer1000 { get; init; }

    /// <summary>Each figure the median of the runs' (so a row need not be one run's).</summary>
    public static BenchResult Median(IReadOnlyList<BenchResult> runs)
    {
        double M(Func<BenchResult, double> f) => Benchmark.Percentile(runs.Select(f), 50);
        var drains = runs.Where(r => r.Drain is not null).Select(r => r.Drain!).ToList();
        double D(Func<DrainResult, double> f) => Benchmark.Percentile(drains.Select(f), 50);
        var first = runs[0];
        return first with
        {
            IngestPerSecond = M(r => r.IngestPerSecond), PublishP50Ms = M(r => r.PublishP50Ms), PublishP99Ms = M(r => r.PublishP99Ms),
            Delivered = runs.Min(r => r.Delivered), Duplicates = runs.Max(r => r.Duplicates), DeliveriesPerSecond = M(r => r.DeliveriesPerSecond),
            EndToEndP50Ms = M(r => r.EndToEndP50Ms), EndToEndP99Ms = M(r => r.EndToEndP99Ms), EndToEndMaxMs = M(r => r.EndToEndMaxMs),
            PeakMemoryMiB = M(r => r.PeakMemoryMiB), CpuSecondsPer1000Deliveries = M(r => r.CpuSecondsPer1000Deliveries),
            LimitPerSecond = M(r => r.LimitPerSecond), RatioToLimit = M(r => r.RatioToLimit),
            LimitCpuPer1000 = M(r => r.LimitCpuPer1000),
            PacedRatePerSecond = M(r => r.PacedRatePerSecond), PacedPublishP50Ms = M(r => r.PacedPublishP50Ms), PacedPublishP99Ms = M(r => r.PacedPublishP99Ms),
            Drain = drains.Count == 0 ? null : new DrainResult(D(d => d.IngestPerSecond), D(d => d.PublishP50Ms), D(d => d.PublishP99Ms),
                drains.Min(d => d.Delivered), drains.Max(d => d.Duplicates), D(d => d.DeliveriesPerSecond), D(d => d.CpuSecondsPer1000Deliveries),
                D(d => d.PeakMemoryMiB), D(d => d.RatioToLimit)) { IngestCpuPer1000 = D(d => d.IngestCpuPer1000) },
        };
    }

    public string MarkdownRow(string? label = null) =>
        $"| {label ?? Store} | {Events:N0} | {Destinations} | {IngestPerSecond:N0} | {PublishP50Ms:0.0} / {PublishP99Ms:0.0} | {DeliveriesPerSecond:N0} | " +
        $"{LimitPerSecond:N0} ({LimitCpuPer1000:0.000}) | {RatioToLimit:P0} | {EndToEndP50Ms:N0} / {EndToEndP99Ms:N0} / {EndToEndMaxMs:N0} | {PeakMemoryMiB:N0} | " +
        $"{CpuSecondsPer1000Deliveries:0.00} | {PacedPublishP50Ms:0.0} / {PacedPublishP99Ms:0.0} | {Delivered:N0}/{Expected:N0} ({Duplicates} dup) |";

    public const string MarkdownHeader =
        "| store | events | fan-out | ingest ev/s | publish p50/p99 ms | deliveries/s | plain limit req/s (its CPU s / 1k) | Herald ÷ limit | publish→receipt p50/p99/max ms | peak MiB | CPU s / 1k deliveries | p50/p99 ms at 1,000 ev/s | delivered |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|";
}

/// <summary>Publishing alone (delivery off), then delivery alone (draining that backlog).</summary>
public sealed record DrainResult(
    double IngestPerSecond, double PublishP50Ms, double PublishP99Ms,
    long Delivered, long Duplicates, double DeliveriesPerSecond, double CpuSecondsPer1000Deliveries, double PeakMemoryMiB, double RatioToLimit = 0)
{
    /// <summary>Herald's CPU-seconds per 1,000 events published with delivery off (the backlog's node).</summary>
    public double IngestCpuPer1000 { get; init; }

    public string MarkdownRow(BenchResult r, string? label = null) =>
        $"| {label ?? r.Store} | {r.Events:N0} | {r.Destinations} | {IngestPerSecond:N0} | {PublishP50Ms:0.0} / {PublishP99Ms:0.0} | {IngestCpuPer1000:0.00} | " +
        $"{DeliveriesPerSecond:N0} | {r.LimitPerSecond:N0} | {RatioToLimit:P0} | {CpuSecondsPer1000Deliveries:0.00} | " +
        $"{PeakMemoryMiB:N0} | {Delivered:N0}/{r.Expected:N0} ({Duplicates} dup) |";

    public const string MarkdownHeader =
        "| store | events | fan-out | ingest ev/s (delivery off) | publish p50/p99 ms | ingest CPU s / 1k events | drain deliveries/s | plain limit req/s | drain ÷ limit | CPU s / 1k deliveries | peak MiB | delivered |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|";
}
