using System.Text.Json;

namespace Herald.Bench;

public static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        var options = BenchOptions.Parse(args);
        if (options.Drill) return await Drill.RunAsync(options);
        if (options.Target == "rabbitmq") return await RunBrokerAsync(options);

        var result = await Benchmark.RunAsync(options);
        Console.WriteLine();
        Console.WriteLine(BenchResult.MarkdownHeader);
        Console.WriteLine(result.MarkdownRow());
        if (result.Drain is { } drain)
        {
            Console.WriteLine();
            Console.WriteLine(DrainResult.MarkdownHeader);
            Console.WriteLine(drain.MarkdownRow(result));
        }
        var file = options.Out ?? Path.Combine("bench", "results", $"{options.Store}-n{options.Events}-k{options.Destinations}{(options.IngestOnly ? "-ingest" : "")}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {file}");
        return options.IngestOnly || ((options.DrainOnly || result.Delivered == result.Expected) && (result.Drain is null || result.Drain.Delivered == result.Expected)) ? 0 : 2;
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
