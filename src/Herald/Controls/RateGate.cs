using System.Collections.Concurrent;
using Dapper;
using Herald.Storage;

namespace Herald.Controls;

/// <summary>A destination's rate limit: <see cref="Limit"/> sends per <see cref="PeriodMs"/>, spaced evenly.</summary>
public sealed record RateSpec(int Limit, long PeriodMs)
{
    /// <summary>The least time between two sends (rounded up, so the cap always holds).</summary>
    public long IntervalMs => (PeriodMs + Limit - 1) / Limit;
}

/// <summary>
/// Hands out send slots for rate-limited destinations: a send may start when the destination's next slot is due, and taking
/// it moves the next slot one interval on (a generic cell rate: no bursts, so any window of the period holds at most the limit).
/// A 429 from the destination stretches the interval (2×, 4×… up to 16×) for a minute or its Retry-After, whichever is longer,
/// and pushes the next slot past Retry-After. Times are the store's clock (ms).
/// </summary>
public abstract class RateGate
{
    public const int MaxSlowFactor = 16;
    public static readonly TimeSpan SlowFor = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxSlowFor = TimeSpan.FromHours(1);

    /// <summary>Takes the next slot if it is due (null), or says when it will be (store clock, ms) without taking it.</summary>
    public abstract Task<long?> TryTakeAsync(string destinationId, RateSpec rate, CancellationToken ct);

    /// <summary>The destination answered 429: send to it more slowly for a while.</summary>
    public abstract Task SlowDownAsync(string destinationId, TimeSpan? retryAfter, CancellationToken ct);

    /// <summary>Now on the store's clock (ms).</summary>
    public abstract long Now { get; }

    /// <summary>The destination's limit changed: its next slot is free (the store's row is reset by the save itself).</summary>
    public virtual void Forget(string destinationId)
    {
    }

    protected static long SlowWindowMs(TimeSpan? retryAfter) =>
        (long)Math.Min(Math.Max(SlowFor.TotalMilliseconds, retryAfter?.TotalMilliseconds ?? 0), MaxSlowFor.TotalMilliseconds);
}

/// <summary>SQLite (one node): the slots are kept in memory.</summary>
public sealed class MemoryRateGate(StoreClock clock) : RateGate
{
    private sealed class State
    {
        public long NextAt;
        public long SlowUntil;
        public int Factor = 1;
    }

    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    public override long Now => clock.Args().ClockNow;

    public override void Forget(string destinationId) => _states.TryRemove(destinationId, out _);

    public override Task<long?> TryTakeAsync(string destinationId, RateSpec rate, CancellationToken ct)
    {
        var state = _states.GetOrAdd(destinationId, _ => new State());
        var now = Now;
        lock (state)
        {
            if (state.NextAt > now) return Task.FromResult<long?>(state.NextAt);
            var factor = state.SlowUntil > now ? state.Factor : 1;
            state.NextAt = now + rate.IntervalMs * factor;
            return Task.FromResult<long?>(null);
        }
    }

    public override Task SlowDownAsync(string destinationId, TimeSpan? retryAfter, CancellationToken ct)
    {
        var state = _states.GetOrAdd(destinationId, _ => new State());
        var now = Now;
        lock (state)
        {
            state.Factor = state.SlowUntil > now ? Math.Min(state.Factor * 2, MaxSlowFactor) : 2;
            state.SlowUntil = now + SlowWindowMs(retryAfter);
            if (retryAfter is { } wait) state.NextAt = Math.Max(state.NextAt, now + (long)Math.Min(wait.TotalMilliseconds, MaxSlowFor.TotalMilliseconds));
        }
        return Task.CompletedTask;
    }
}

/// <summary>PostgreSQL (several nodes): the slots are kept in the destination's controls row, so every node shares them.</summary>
public sealed class StoreRateGate(Db db, StoreClock clock) : RateGate
{
    public override long Now => clock.Args().ClockNow;

    public override async Task<long?> TryTakeAsync(string destinationId, RateSpec rate, CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        await using var connection = await db.OpenAsync(ct);
        // One statement: the row lock makes two nodes asking at once take two different slots.
        var row = await connection.QuerySingleOrDefaultAsync<(long NextAt, int Taken)>(new CommandDefinition($"""
            WITH now AS (SELECT {db.Now} AS t),
            taken AS (
                UPDATE destination_controls SET rate_next_at = (SELECT t FROM now) + @interval
                    * (CASE WHEN rate_slow_until > (SELECT t FROM now) THEN rate_slow_factor ELSE 1 END)
                WHERE destination_id = @destinationId AND COALESCE(rate_next_at, 0) <= (SELECT t FROM now)
                RETURNING rate_next_at)
            SELECT COALESCE((SELECT rate_next_at FROM taken), (SELECT rate_next_at FROM destination_controls WHERE destination_id = @destinationId), 0),
                   (SELECT COUNT(*) FROM taken)::int
            """, new { destinationId, interval = rate.IntervalMs, clockNow, clockSkew }, cancellationToken: ct));
        return row.Taken == 1 ? null : row.NextAt;
    }

    public override async Task SlowDownAsync(string destinationId, TimeSpan? retryAfter, CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE destination_controls SET
                rate_slow_factor = CASE WHEN rate_slow_until > {db.Now} THEN LEAST(rate_slow_factor * 2, @max) ELSE 2 END,
                rate_slow_until = {db.Now} + @window,
                rate_next_at = GREATEST(COALESCE(rate_next_at, 0), {db.Now} + @wait)
            WHERE destination_id = @destinationId
            """, new
            {
                destinationId, max = MaxSlowFactor, window = SlowWindowMs(retryAfter), clockNow, clockSkew,
                wait = (long)Math.Min(retryAfter?.TotalMilliseconds ?? 0, MaxSlowFor.TotalMilliseconds),
            }, cancellationToken: ct));
    }
}
