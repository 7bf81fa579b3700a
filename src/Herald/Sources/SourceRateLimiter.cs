using System.Collections.Concurrent;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Sources;

/// <summary>
/// A token bucket per source (Herald:Sources:RatePerSecond, a burst of as many), on this node's clock. It runs before the
/// body is read or a signature checked, so a flood at one inbound URL costs little and slows no other source.
/// </summary>
public sealed class SourceRateLimiter(IOptions<HeraldOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public bool TryTake(string sourceId)
    {
        var rate = options.Value.Sources.RatePerSecond;
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(sourceId, _ => new Bucket(rate, now));
        lock (bucket)
        {
            var elapsed = time.GetElapsedTime(bucket.At, now).TotalSeconds;
            if (elapsed > 0) bucket.Tokens = Math.Min(rate, bucket.Tokens + elapsed * rate);
            bucket.At = now;
            if (bucket.Tokens < 1) return false;
            bucket.Tokens -= 1;
            return true;
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        public double Tokens { get; set; } = tokens;
        public long At { get; set; } = at;
    }
}
