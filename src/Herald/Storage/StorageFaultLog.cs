namespace Herald.Storage;

/// <summary>
/// Logs storage faults once per interval with a count ("Storage unavailable: 6583 request(s) refused in the last 10 s
/// (SqliteException SQLITE_FULL)") instead of a stack trace per request or per loop, and drops pooled connections a fault
/// may have broken, so Herald recovers by itself when the store comes back.
/// </summary>
public sealed class StorageFaultLog(Db db, TimeProvider time, ILogger<StorageFaultLog> logger)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Counter> _counters = new();

    /// <summary>Counts one fault of kind <paramref name="what"/> (e.g. "request(s) refused") and logs when the interval has passed.</summary>
    public void Report(string what, string reason, Exception? exception)
    {
        if (StorageFault.BreaksConnections(exception)) db.ClearPool();
        var counter = _counters.GetOrAdd(what, _ => new Counter());
        var now = time.GetUtcNow();
        int count;
        TimeSpan since;
        bool first;
        lock (counter)
        {
            counter.Count++;
            if (counter.LoggedAt is { } logged && now - logged < Interval) return;
            first = counter.LoggedAt is null || now - counter.LoggedAt.Value >= 2 * Interval && counter.Count == 1;
            since = counter.LoggedAt is { } at ? now - at : TimeSpan.Zero;
            count = counter.Count;
            counter.Count = 0;
            counter.LoggedAt = now;
        }
        if (first)
            logger.LogWarning("Storage unavailable ({Reason}): 1 {What}; further ones are counted and logged every {Seconds:0} s.",
                reason, what, Interval.TotalSeconds);
        else
            logger.LogWarning("Storage unavailable: {Count} {What} in the last {Seconds:0} s ({Reason}).", count, what, since.TotalSeconds, reason);
    }

    private sealed class Counter
    {
        public int Count;
        public DateTimeOffset? LoggedAt;
    }
}
