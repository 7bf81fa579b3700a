using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Herald.Bench;

/// <summary>
/// <c>--target rabbitmq --rabbitmq amqp://…</c>: Herald's delivery rate to RabbitMQ beside its rate to HTTP, measured the same
/// way for both (the drain: a backlog of N events stored with delivery off, then sent by a node with delivery on; the rate
/// over the second half of the receipts). HTTP goes to K loopback receivers; RabbitMQ to K destinations, each publishing
/// persistent, confirmed messages to its own durable queue, which a consumer in this process reads.
/// </summary>
public static class BrokerBenchmark
{
    public static async Task<BrokerBenchResult> RunAsync(BenchOptions o)
    {
        if (string.IsNullOrEmpty(o.RabbitMqUrl)) throw new ArgumentException("--target rabbitmq needs --rabbitmq amqp://user:pass@host:port/vhost");
        Console.WriteLine($"Herald broker benchmark: store={o.Store} events={o.Events:N0} destinations={o.Destinations} concurrency={o.Concurrency}/destination");
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        var settings = new Dictionary<string, string>(o.Settings)
        {
            ["Herald__Delivery__PerDestinationConcurrency"] = o.Concurrency.ToString(),
            ["Herald__Delivery__MaxConcurrency"] = Math.Max(o.Concurrency, o.Concurrency * o.Destinations).ToString(),
            ["Herald__Delivery__BatchSize"] = "1000",
            ["Herald__Delivery__PollInterval"] = "00:00:00.200",
        };

        await using var receivers = await Receivers.StartAsync(o.Destinations);
        var http = await DrainAsync(o, settings, "http",
            receivers.Ports.Select(port => (object)new { kind = "webhook", url = $"http://127.0.0.1:{port}/hook" }).ToList(),
            () => receivers.FirstSeen.Values, () => Interlocked.Read(ref receivers.Duplicates));

        var run = Guid.NewGuid().ToString("N")[..8];
        var queues = Enumerable.Range(0, o.Destinations).Select(k => $"herald-bench-{run}-{k}").ToList();
        await using var consumer = await RabbitConsumer.StartAsync(o.RabbitMqUrl, queues);
        var rabbit = await DrainAsync(o, settings, "rabbitmq",
            queues.Select(queue => (object)new { kind = "rabbitmq", url = o.RabbitMqUrl, routing_key = queue }).ToList(),
            () => consumer.FirstSeen.Values, () => Interlocked.Read(ref consumer.Duplicates));
        await consumer.DeleteQueuesAsync();
        return new BrokerBenchResult(o.Store, o.Events, o.Destinations, o.Concurrency, Environment.ProcessorCount, [http, rabbit], DateTimeOffset.UtcNow);
    }

    private static async Task<TargetRate> DrainAsync(BenchOptions o, Dictionary<string, string> settings, string target,
        List<object> destinations, Func<ICollection<long>> receipts, Func<long> duplicates)
    {
        var directory = Directory.CreateTempSubdirectory("herald-bench-").FullName;
        var postgres = o.Store == "postgres" ? await Benchmark.FreshPostgresDatabaseAsync(o.Postgres) : null;
        var expected = (long)o.Events * o.Destinations;
        try
        {
            Console.WriteLine($"{target}: storing a backlog of {o.Events:N0} events for {destinations.Count} destination(s) with delivery off");
            await using (var ingest = HeraldNode.Start(directory, o.Store, postgres, Benchmark.FreePort(),
                new Dictionary<string, string>(settings) { ["Herald__Delivery__Worker"] = "false" }))
            {
                await ingest.WaitHealthyAsync();
                using var client = ingest.Client();
                foreach (var destination in destinations)
                {
                    var created = await client.PostAsJsonAsync("/v1/destinations", destination);
                    if (!created.IsSuccessStatusCode)
                        throw new InvalidOperationException($"creating a {target} destination answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync()}");
                }
                await Parallel.ForEachAsync(Enumerable.Range(0, o.Events), new ParallelOptions { MaxDegreeOfParallelism = o.Publishers }, async (i, ct) =>
                {
                    if ((await Benchmark.PublishAsync(client, i, ct)).Status != 202) throw new HttpRequestException("backlog publish failed");
                });
            }

            Console.WriteLine($"{target}: {expected:N0} deliveries, delivery on");
            await using var node = HeraldNode.Start(directory, o.Store, postgres, Benchmark.FreePort(), settings);
            var started = Stopwatch.GetTimestamp();
            var cpuAtFirst = TimeSpan.Zero;
            var deadline = started + Stopwatch.Frequency * Math.Max(600, expected / 200);
            using var progress = new Timer(_ => Console.WriteLine($"  {target}: delivered {receipts().Count,10:N0}/{expected:N0}"), null, 5_000, 5_000);
            while (receipts().Count < expected && Stopwatch.GetTimestamp() < deadline)
            {
                if (cpuAtFirst == TimeSpan.Zero && receipts().Count > 0) cpuAtFirst = node.CpuTime();
                await Task.Delay(20);
            }
            var cpu = node.CpuTime() - cpuAtFirst;
            var times = receipts().Order().ToList();
            var from = times.Count / 2; // the second half: the new process is warm
            var rate = times.Count < 10 ? double.NaN : (times.Count - 1 - from) / Stopwatch.GetElapsedTime(times[from], times[^1]).TotalSeconds;
            return new TargetRate(target, times.Count, expected, duplicates(), rate, cpu.TotalSeconds / Math.Max(1, times.Count) * 1000, node.PeakRssBytes / 1048576.0);
        }
        finally
        {
            if (postgres is not null) await Benchmark.DropPostgresDatabaseAsync(o.Postgres!, postgres);
            try { Directory.Delete(directory, true); } catch (IOException) { }
        }
    }

    /// <summary>Declares one durable queue per destination and records when each message id first arrived on each.</summary>
    private sealed class RabbitConsumer : IAsyncDisposable
    {
        private IConnection _connection = null!;
        private IChannel _channel = null!;
        private List<string> _queues = [];
        public ConcurrentDictionary<(string Queue, string MessageId), long> FirstSeen { get; } = new();
        public long Duplicates;

        public static async Task<RabbitConsumer> StartAsync(string url, List<string> queues)
        {
            var consumer = new RabbitConsumer { _queues = queues };
            consumer._connection = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync();
            consumer._channel = await consumer._connection.CreateChannelAsync();
            await consumer._channel.BasicQosAsync(0, 1000, false);
            foreach (var queue in queues)
            {
                await consumer._channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
                var handler = new AsyncEventingBasicConsumer(consumer._channel);
                handler.ReceivedAsync += (_, message) =>
                {
                    if (!consumer.FirstSeen.TryAdd((queue, message.BasicProperties.MessageId ?? ""), Stopwatch.GetTimestamp()))
                        Interlocked.Increment(ref consumer.Duplicates);
                    return Task.CompletedTask;
                };
                await consumer._channel.BasicConsumeAsync(queue, autoAck: true, handler);
            }
            return consumer;
        }

        public async Task DeleteQueuesAsync()
        {
            foreach (var queue in _queues) await _channel.QueueDeleteAsync(queue);
        }

        public async ValueTask DisposeAsync()
        {
            await _channel.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }
}

public sealed record TargetRate(string Target, long Delivered, long Expected, long Duplicates, double DeliveriesPerSecond,
    double CpuSecondsPer1000Deliveries, double PeakMemoryMiB);

public sealed record BrokerBenchResult(string Store, int Events, int Destinations, int Concurrency, int Cores, IReadOnlyList<TargetRate> Targets,
    DateTimeOffset At)
{
    public const string MarkdownHeader =
        "| target | store | events | fan-out | drain deliveries/s | ÷ HTTP | CPU s / 1k deliveries | peak MiB | delivered |\n" +
        "|---|---|---|---|---|---|---|---|---|";

    public IEnumerable<string> MarkdownRows() => Targets.Select(t =>
        $"| {t.Target} | {Store} | {Events:N0} | {Destinations} | {t.DeliveriesPerSecond:N0} | {t.DeliveriesPerSecond / Targets[0].DeliveriesPerSecond:P0} | " +
        $"{t.CpuSecondsPer1000Deliveries:0.00} | {t.PeakMemoryMiB:N0} | {t.Delivered:N0}/{t.Expected:N0} ({t.Duplicates} dup) |");
}
