using System.Text.Json;

namespace Herald.Bench;

public static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        var options = BenchOptions.Parse(args);
        if (options.Drill) return await Drill.RunAsync(options);
        if (options.Target == "rabbitmq") return await RunBrokerAsync(options);

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
        var file = options.Out ?? Path.Combine("bench", "results", $"{options.Store}-n{options.Events}-k{options.Destinations}{(options.IngestOnly ? "-ingest" : "")}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(results.Count == 1 ? (object)result : new { median = result, runs = results },
            new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        return options.IngestOnly || results.All(r => (options.DrainOnly || r.Delivered == r.Expected) && (r.Drain is null || r.Drain.Delivered == r.Expected)) ? 0 : 2;
    }

    private static async Task<int> RunBrokerAsync(BenchOptions options)
    {
        var result = await BrokerBenchmark.RunAsync(options);
        Console.WriteLine();
        Console.WriteLine(BrokerBenchResult.MarkdownHeader);
        foreach (var row in result.MarkdownRows()) Console.WriteLine(row);
        var file = options.Out ?? Path.Combine("bench", "results", $"{options.Store}-n{options.Events}-k{options.Destinations}-rabbitmq.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        return result.Targets.All(t => t.Delivered == t.Expected) ? 0 : 2;
    }
}
