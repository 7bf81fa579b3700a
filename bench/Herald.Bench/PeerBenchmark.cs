using System.Collections.Concurrent;
using System.Diagnostics;

namespace Herald.Bench;

/// <summary>
/// The peer: the usual alternative to Herald (bench/Herald.Bench.Hangfire: Hangfire 1.8 on PostgreSQL, one job per
/// delivery) as a separate Release process, given the same receivers, the same events and the same publishing client as
/// Herald's live run, measured the same way.
/// </summary>
public static class PeerBenchmark
{
    public const int MaxDefaultDeliveries = 10_000;

    public static async Task<PeerResult> RunHangfireAsync(BenchOptions o, Receivers receivers)
    {
        if (string.IsNullOrEmpty(o.Postgres))
            throw new ArgumentException("--peer hangfire needs PostgreSQL: --postgres <admin connection string> (or HERALD_BENCH_POSTGRES / HERALD_TEST_POSTGRES).");
        // Hangfire delivers around a hundred a second here, so by default its run is capped at 10,000 deliveries (a minute or
        // two); its rates compare with Herald's at any N.
        var events = o.PeerEvents ?? Math.Min(o.Events, Math.Max(1, MaxDefaultDeliveries / o.Destinations));
        var workers = o.PeerWorkers ?? Math.Min(Environment.ProcessorCount * 5, 20);
        Console.WriteLine($"peer: Hangfire on PostgreSQL, {workers} workers, events={events:N0} destinations={o.Destinations}");
        var database = await Benchmark.FreshPostgresDatabaseAsync(o.Postgres);
        var databaseName = new Npgsql.NpgsqlConnectionStringBuilder(database).Database!;
        try
        {
            await using var peer = PeerProcess.StartHangfire(database, receivers.Ports, workers, Benchmark.FreePort());
            await peer.WaitReadyAsync();
            using var client = peer.Client();

            // Warm-up (not measured), as Herald gets one: the JIT compiles the hot paths, connections and Hangfire's workers start.
            var warmup = Math.Min(2_000, Math.Max(100, events / 10));
            Console.WriteLine($"peer warm-up: {warmup:N0} events");
            await Parallel.ForEachAsync(Enumerable.Range(0, warmup), new ParallelOptions { MaxDegreeOfParallelism = o.Publishers }, async (i, ct) =>
            {
                if ((await Benchmark.PublishAsync(client, -1 - i, ct)).Status is var status && status != 202)
                    throw new HttpRequestException($"peer warm-up publish answered {status}");
            });
            var warmupDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 300;
            while (receivers.FirstSeen.Count < (long)warmup * o.Destinations && Stopwatch.GetTimestamp() < warmupDeadline)
                await Task.Delay(20);
            receivers.Reset();

            var cpuBefore = peer.CpuTime();
            var postgresBefore = ProcessStats.PostgresBackends(databaseName);
            var expected = (long)events * o.Destinations;
            using var publishing = new LivePublishing("peer ", events, expected, receivers);
            var started = publishing.Started;
            var ingestSeconds = await publishing.RunAsync(client, events, o.Publishers, "peer publish");

            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 600;
            while (receivers.FirstSeen.Count < expected && Stopwatch.GetTimestamp() < deadline && !peer.HasExited) await Task.Delay(20);
            var deliverySeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpu = peer.CpuTime() - cpuBefore;
            var postgresCpu = ProcessStats.PostgresBackends(databaseName)
                .Sum(b => (b.Value - postgresBefore.GetValueOrDefault(b.Key)).TotalSeconds);
            publishing.StopProgress();
            if (receivers.FirstSeen.Count < expected)
                Console.WriteLine($"peer: only {receivers.FirstSeen.Count:N0} of {expected:N0} deliveries arrived{(peer.HasExited ? " (the peer exited)" : " within 600 s")}");

            var endToEnd = publishing.EndToEnd(receivers);
            var delivered = receivers.FirstSeen.Count;
            return new PeerResult("hangfire",
                IngestPerSecond: events / ingestSeconds,
                PublishP50Ms: Benchmark.Percentile(publishing.Latencies, 50), PublishP99Ms: Benchmark.Percentile(publishing.Latencies, 99),
                Delivered: delivered, Expected: expected, Duplicates: Interlocked.Read(ref receivers.Duplicates),
                DeliveriesPerSecond: delivered / deliverySeconds,
                EndToEndP50Ms: Benchmark.Percentile(endToEnd, 50), EndToEndP99Ms: Benchmark.Percentile(endToEnd, 99),
                CpuSecondsPer1000Deliveries: cpu.TotalSeconds / Math.Max(1, delivered) * 1000,
                PeakMemoryMiB: peer.PeakRssBytes / 1048576.0,
                Events: events, Destinations: o.Destinations, Workers: workers,
                PostgresCpuSecondsPer1000Deliveries: postgresCpu / Math.Max(1, delivered) * 1000,
                At: DateTimeOffset.UtcNow);
        }
        finally
        {
            await Benchmark.DropPostgresDatabaseAsync(o.Postgres, database);
        }
    }
}

/// <summary>The peer as a separate process: the Release build copied beside this benchmark (peer-hangfire/).</summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Timer _sampler;
    private readonly Uri _baseAddress;
    public long PeakRssBytes { get; private set; }

    private PeerProcess(Process process, int port)
    {
        _process = process;
        _baseAddress = new Uri($"http://127.0.0.1:{port}");
        _sampler = new Timer(_ => Sample(), null, 0, 200);
    }

    public static PeerProcess StartHangfire(string postgres, IReadOnlyList<int> receiverPorts, int workers, int port)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "peer-hangfire");
        var dll = Path.Combine(directory, "Herald.Bench.Hangfire.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"The Hangfire peer is not built beside the benchmark: {dll}");
        var info = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}"])
        {
            // Its content root (appsettings.json: logging at Warning).
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var env = info.Environment;
        env["Peer__Postgres"] = postgres;
        env["Peer__ApiKey"] = ApiKeyValue;
        env["Peer__Workers"] = workers.ToString();
        for (var i = 0; i < receiverPorts.Count; i++) env[$"Peer__Destinations__{i}"] = $"http://127.0.0.1:{receiverPorts[i]}/hook";
        env["DOTNET_gcServer"] = "1";
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) Console.WriteLine($"  peer: {e.Data}"); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"  peer: {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PeerProcess(process, port);
    }

    internal const string ApiKeyValue = "peer_bench_key_benchbenchbenchbenchbench";

    public HttpClient Client() => ServedProcess.Client(_baseAddress, ApiKeyValue);

    public Task WaitReadyAsync() => ServedProcess.WaitReadyAsync(_process, _baseAddress, "The peer", TimeSpan.FromSeconds(60));

    public bool HasExited => _process.HasExited;

    public TimeSpan CpuTime() => ProcessStats.CpuTime(_process.Id);

    private void Sample()
    {
        try { if (ProcessStats.PeakRssBytes(_process.Id) is { } peak) PeakRssBytes = peak; }
        catch (Exception) { }
    }

    public ValueTask DisposeAsync()
    {
        _sampler.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The peer's live run, measured as Herald's is (<see cref="BenchResult"/>).</summary>
public sealed record PeerResult(
    string Name, double IngestPerSecond, double PublishP50Ms, double PublishP99Ms,
    long Delivered, long Expected, long Duplicates, double DeliveriesPerSecond,
    double EndToEndP50Ms, double EndToEndP99Ms, double CpuSecondsPer1000Deliveries, double PeakMemoryMiB,
    int Events = 0, int Destinations = 0, int Workers = 0, double PostgresCpuSecondsPer1000Deliveries = 0, DateTimeOffset At = default)
{
    /// <summary>One row; <paramref name="heraldDeliveriesPerSecond"/> and <paramref name="limit"/> are NaN when not measured (--peer-only).</summary>
    public string MarkdownRow(double heraldDeliveriesPerSecond, double limit) =>
        $"| {Name} ({Workers} workers) | {Events:N0} | {Destinations} | {IngestPerSecond:N0} | {PublishP50Ms:0.0} / {PublishP99Ms:0.0} | " +
        $"{DeliveriesPerSecond:N0} | {(double.IsNaN(limit) ? "–" : (DeliveriesPerSecond / limit).ToString("P1"))} | " +
        $"{(double.IsNaN(heraldDeliveriesPerSecond) ? "–" : heraldDeliveriesPerSecond.ToString("N0"))} | " +
        $"{(double.IsNaN(heraldDeliveriesPerSecond) ? "–" : (heraldDeliveriesPerSecond / DeliveriesPerSecond).ToString("0.0") + "×")} | " +
        $"{EndToEndP50Ms:N0} / {EndToEndP99Ms:N0} | {PeakMemoryMiB:N0} | {CpuSecondsPer1000Deliveries:0.00} | {PostgresCpuSecondsPer1000Deliveries:0.00} | " +
        $"{Delivered:N0}/{Expected:N0} ({Duplicates} dup) |";

    public const string MarkdownHeader =
        "| peer | events | fan-out | ingest ev/s | publish p50/p99 ms | peer deliveries/s | peer ÷ limit | Herald deliveries/s | Herald ÷ peer | publish→receipt p50/p99 ms | peak MiB | CPU s / 1k deliveries (peer) | PostgreSQL backends CPU s / 1k | delivered |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|";
}

/// <summary>What the bench writes for a peer run: the peer's figures beside Herald's live rate and the plain limit (null when not measured).</summary>
public sealed record PeerReport(PeerResult Peer, string? HeraldStore, int? HeraldEvents, double? HeraldDeliveriesPerSecond, double? LimitPerSecond,
    double? HeraldOverPeer);
