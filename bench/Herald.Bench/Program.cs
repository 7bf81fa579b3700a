using System.Text.Json;

namespace Herald.Bench;

public static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        var options = BenchOptions.Parse(args);
        if (options.Drill) return await Drill.RunAsync(options);
        if (options.Target == "rabbitmq") return await RunBrokerAsync(options);
        if (options.PeerOnly) return await RunPeerAsync(options, null) ? 0 : 2;

        var results = new List<BenchResult>();
        for (var run = 1; run <= Math.Max(1, options.Runs); run++)
        {
            if (options.Runs > 1) Console.WriteLine($"== run {run} of {options.Runs}");
            results.Add(await Benchmark.RunAsync(options));
        }
        var result = results.Count == 1 ? results[0] : BenchResult.Median(results);
        Console.WriteLine();
        Console.WriteLine(BenchResult.MarkdownHeader);
        if (results.Count > 1) foreach (var r in results) Console.WriteLine(r.MarkdownRow());
        Console.WriteLine(result.MarkdownRow(results.Count > 1 ? $"median of {results.Count}" : null));
        if (result.Drain is { } drain)
        {
            Console.WriteLine();
            Console.WriteLine(DrainResult.MarkdownHeader);
            if (results.Count > 1) foreach (var r in results) if (r.Drain is { } d) Console.WriteLine(d.MarkdownRow(r));
            Console.WriteLine(drain.MarkdownRow(result, results.Count > 1 ? $"median of {results.Count}" : null));
        }
        var file = options.Out ?? Path.Combine(ResultsDirectory, $"{options.Store}-n{options.Events}-k{options.Destinations}{(options.IngestOnly ? "-ingest" : "")}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(results.Count == 1 ? (object)result : new { median = result, runs = results },
            new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        var peerComplete = options.Peer is null || await RunPeerAsync(options, result);
        return !peerComplete ? 2 : options.IngestOnly || results.All(r => (options.DrainOnly || r.Delivered == r.Expected) && (r.Drain is null || r.Drain.Delivered == r.Expected)) ? 0 : 2;
    }

    /// <summary>
    /// bench/results at the repository's root, found upward from where the bench runs: `dotnet run --project bench/Herald.Bench`
    /// runs it in its project folder, where a relative bench/results would be a second, stray results folder.
    /// </summary>
    private static string ResultsDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "bench", "Herald.Bench"))) return Path.Combine(dir.FullName, "bench", "results");
            return Path.Combine("bench", "results");
        }
    }

    /// <summary>The peer (--peer hangfire) on its own receivers, beside Herald's result when there is one; true when it delivered all.</summary>
    private static async Task<bool> RunPeerAsync(BenchOptions options, BenchResult? herald)
    {
        Console.WriteLine();
        await using var receivers = await Receivers.StartAsync(options.Destinations);
        var peer = await PeerBenchmark.RunHangfireAsync(options, receivers);
        var heraldRate = herald is null || herald.Delivered == 0 ? double.NaN : herald.DeliveriesPerSecond;
        var limit = herald is null || herald.LimitPerSecond == 0 ? double.NaN : herald.LimitPerSecond;
        Console.WriteLine();
        Console.WriteLine(PeerResult.MarkdownHeader);
        Console.WriteLine(peer.MarkdownRow(heraldRate, limit));
        // Beside Herald's file: --out X.json gives X-peer-hangfire.json; by default bench/results/peer-hangfire-<store>-n<N>-k<K>.json
        // (Herald's store and N), or peer-hangfire-n<N>-k<K>.json (the peer's N) with --peer-only.
        var file = options.Out is { } output
            ? herald is null ? output : Path.ChangeExtension(output, null) + $"-peer-{options.Peer}.json"
            : Path.Combine(ResultsDirectory, herald is null
                ? $"peer-{options.Peer}-n{peer.Events}-k{options.Destinations}.json"
                : $"peer-{options.Peer}-{herald.Store}-n{herald.Events}-k{options.Destinations}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        var report = new PeerReport(peer, herald?.Store, herald?.Events, double.IsNaN(heraldRate) ? null : heraldRate, double.IsNaN(limit) ? null : limit,
            double.IsNaN(heraldRate) || peer.DeliveriesPerSecond <= 0 ? null : heraldRate / peer.DeliveriesPerSecond);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"peer results: {file}");
        return peer.Delivered == peer.Expected;
    }

    private static async Task<int> RunBrokerAsync(BenchOptions options)
    {
        var result = await BrokerBenchmark.RunAsync(options);
        Console.WriteLine();
        Console.WriteLine(BrokerBenchResult.MarkdownHeader);
        foreach (var row in result.MarkdownRows()) Console.WriteLine(row);
        var file = options.Out ?? Path.Combine(ResultsDirectory, $"{options.Store}-n{options.Events}-k{options.Destinations}-rabbitmq.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        return result.Targets.All(t => t.Delivered == t.Expected) ? 0 : 2;
    }
}
