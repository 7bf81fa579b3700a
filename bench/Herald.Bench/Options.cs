namespace Herald.Bench;

/// <summary>
/// Command line: --store sqlite|postgres --events N --destinations K --concurrency C [--postgres CS] [--out FILE] [--drill]
/// [--target rabbitmq --rabbitmq amqp://user:pass@host:port/vhost] [--filtered F] [--runs R] [--warmup S] [--set Herald__X=Y]
/// [--peer hangfire [--peer-only] [--peer-events N] [--peer-workers W]].
/// </summary>
public sealed record BenchOptions(string Store, int Events, int Destinations, int Concurrency, string? Postgres, string? Out, bool Drill,
    IReadOnlyDictionary<string, string> Settings, bool IngestOnly = false, int Publishers = 64, bool Drain = true, bool DrainOnly = false,
    string Target = "http", string? RabbitMqUrl = null, int Filtered = 0, int Runs = 1, double WarmupSeconds = 20,
    string? Peer = null, bool PeerOnly = false, int? PeerEvents = null, int? PeerWorkers = null)
{
    public static BenchOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        var store = Get("--store", "sqlite");
        if (store is not ("sqlite" or "postgres")) throw new ArgumentException("--store must be sqlite or postgres");
        if (Get("--target", "http") is not ("http" or "rabbitmq")) throw new ArgumentException("--target must be http or rabbitmq");
        var peer = args.Contains("--peer") ? Get("--peer", "") : null;
        if (peer is not (null or "hangfire")) throw new ArgumentException("--peer must be hangfire");
        if (args.Contains("--peer-only") && peer is null) throw new ArgumentException("--peer-only needs --peer hangfire");
        return new BenchOptions(store, int.Parse(Get("--events", "10000")), int.Parse(Get("--destinations", "1")),
            // --concurrency C: the plain-limit client's requests in flight per receiver; 16 is Herald's default per destination.
            int.Parse(Get("--concurrency", "16")),
            Get("--postgres", Environment.GetEnvironmentVariable("HERALD_BENCH_POSTGRES") ?? Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES") ?? ""),
            args.Contains("--out") ? Get("--out", "") : null, args.Contains("--drill"),
            // --set Herald__X=Y passes a setting to the Herald process under test.
            args.Select((a, i) => (a, i)).Where(x => x.a == "--set" && x.i + 1 < args.Length).Select(x => args[x.i + 1].Split('=', 2))
                .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
            // --ingest-only: Herald with its worker off, to see what publishing alone costs.
            args.Contains("--ingest-only"),
            // --publishers P: concurrent publishing requests (default 64).
            int.Parse(Get("--publishers", "64")),
            // --no-drain: skip the backlog phases (delivery off, then delivery alone).
            !args.Contains("--no-drain"),
            // --drain-only: skip the live and paced phases; only the backlog (delivery off) and its drain (delivery alone).
            args.Contains("--drain-only"),
            // --target rabbitmq: the drain to HTTP receivers, then to RabbitMQ (--rabbitmq URL), side by side.
            Get("--target", "http"),
            args.Contains("--rabbitmq") ? Get("--rabbitmq", "") : Environment.GetEnvironmentVariable("HERALD_BENCH_RABBITMQ"),
            // --filtered F: F more destinations whose payload filter no event matches (fan-out evaluates them all, sends nothing).
            int.Parse(Get("--filtered", "0")),
            // --runs R: the whole benchmark R times; the tables show every run and the median of each column.
            int.Parse(Get("--runs", "1")),
            // --warmup S: publish (and deliver) for S seconds before measuring (default 20): the JIT's tiers settle first.
            double.Parse(Get("--warmup", "20"), System.Globalization.CultureInfo.InvariantCulture),
            // --peer hangfire: the usual alternative (bench/Herald.Bench.Hangfire) in the same run, with Herald ÷ peer.
            peer,
            // --peer-only: the peer alone, without Herald's run.
            args.Contains("--peer-only"),
            // --peer-events N: events for the peer's run (default: --events, at most 10,000 deliveries); --peer-workers W: its
            // Hangfire WorkerCount (default Hangfire's, min(5 × cores, 20)).
            args.Contains("--peer-events") ? int.Parse(Get("--peer-events", "")) : null,
            args.Contains("--peer-workers") ? int.Parse(Get("--peer-workers", "")) : null);
    }
}
