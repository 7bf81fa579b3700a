using System.Collections.Concurrent;
using System.Diagnostics;

namespace Herald.Bench;

/// <summary>
/// The live phase's publishing, shared by Herald's run and the peer's: N events from P publishers, each publish timed and its
/// send time kept for publish→receipt, with a progress line every second until <see cref="StopProgress"/>.
/// </summary>
internal sealed class LivePublishing : IDisposable
{
    private readonly Timer _progress;
    private int _published;

    public LivePublishing(string label, int events, long expected, Receivers receivers)
    {
        _progress = new Timer(_ => Console.WriteLine(
            $"  {label}{Stopwatch.GetElapsedTime(Started).TotalSeconds,6:0.0}s  published {Volatile.Read(ref _published),9:N0}/{events:N0}  delivered {receivers.FirstSeen.Count,10:N0}/{expected:N0}"),
            null, 1000, 1000);
    }

    public long Started { get; } = Stopwatch.GetTimestamp();
    public ConcurrentDictionary<string, long> PublishedAt { get; } = new();
    public ConcurrentBag<double> Latencies { get; } = new();

    /// <summary>Publishes events 0..N-1 (any answer but 202 fails the run); returns the seconds since <see cref="Started"/>.</summary>
    public async Task<double> RunAsync(HttpClient client, int events, int publishers, string who)
    {
        await Parallel.ForEachAsync(Enumerable.Range(0, events), new ParallelOptions { MaxDegreeOfParallelism = publishers }, async (i, ct) =>
        {
            var t0 = Stopwatch.GetTimestamp();
            var (status, id) = await Benchmark.PublishAsync(client, i, ct);
            var latency = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            if (status != 202) throw new HttpRequestException($"{who} answered {status}");
            PublishedAt[id] = t0;
            Latencies.Add(latency);
            Interlocked.Increment(ref _published);
        });
        return Stopwatch.GetElapsedTime(Started).TotalSeconds;
    }

    public void StopProgress() => _progress.Change(Timeout.Infinite, Timeout.Infinite);

    /// <summary>publish→receipt in ms of each first receipt whose event this run published.</summary>
    public List<double> EndToEnd(Receivers receivers) => receivers.FirstSeen.Select(r => PublishedAt.TryGetValue(r.Key.EventId, out var t0)
        ? Stopwatch.GetElapsedTime(t0, r.Value).TotalMilliseconds : double.NaN).Where(x => !double.IsNaN(x)).ToList();

    public void Dispose() => _progress.Dispose();
}
