using System.Collections.Concurrent;
using Dapper;
using Herald.Delivery;
using Herald.Storage;

namespace Herald.Controls;

/// <summary>What sending to a destination needs from its controls, parsed once: its own retry schedule, time-out and rate limit.</summary>
public sealed record SendControls(string DestinationId, RetrySchedule? Schedule, TimeSpan? Timeout, RateSpec? Rate)
{
    /// <summary>The destination's message template, parsed (null: the kind's own message).</summary>
    public MessageTemplate? Template { get; init; }
}

/// <summary>
/// The senders' copy of the controls that shape a send (everything but the filter, which fan-out reads in its transaction).
/// Reloaded from the store at most every <see cref="RefreshInterval"/> while in use, so a change made on another node applies
/// within that; a change saved on this node applies at once.
/// </summary>
public sealed class ControlsCache(Db db, RetrySchedule schedule, ILogger<ControlsCache> logger)
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);
    private volatile Dictionary<string, SendControls> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SendControls?> _local = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private long _loadedAt = long.MinValue; // Environment.TickCount64 of the last load (a cache age, not logic time)

    public async ValueTask<SendControls?> GetAsync(string destinationId, CancellationToken ct)
    {
        if (Stale) await RefreshAsync(ct);
        if (_local.TryGetValue(destinationId, out var local)) return local;
        return _entries.GetValueOrDefault(destinationId);
    }

    private bool Stale => Interlocked.Read(ref _loadedAt) is var at && (at == long.MinValue || Environment.TickCount64 - at > RefreshInterval.TotalMilliseconds);

    /// <summary>A save on this node: applies at once (and is kept until the next reload shows it).</summary>
    public void Changed(DestinationControls c) => _local[c.DestinationId] = Build(c);

    private async Task RefreshAsync(CancellationToken ct)
    {
        var first = Interlocked.Read(ref _loadedAt) == long.MinValue;
        // One reload at a time; the others go on with what is loaded (the first load is waited for).
        if (!await _refreshing.WaitAsync(first ? Timeout.InfiniteTimeSpan : TimeSpan.Zero, ct)) return;
        try
        {
            if (!Stale) return;
            var started = Environment.TickCount64;
            await using var connection = await db.OpenAsync(ct);
            var rows = await connection.QueryAsync<DestinationControls>(new CommandDefinition($"""
                SELECT {ControlsStore.Columns} FROM destination_controls
                WHERE retry_schedule IS NOT NULL OR timeout_ms IS NOT NULL OR rate_limit IS NOT NULL OR ordering IS NOT NULL OR template IS NOT NULL
                """, cancellationToken: ct));
            var entries = new Dictionary<string, SendControls>(StringComparer.Ordinal);
            foreach (var row in rows)
                if (Build(row) is { } built) entries[row.DestinationId] = built;
            _entries = entries;
            _local.Clear();
            Interlocked.Exchange(ref _loadedAt, started);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && !first)
        {
            logger.LogWarning("Reloading destination controls failed ({Error}); the loaded ones stay in use.", e.GetType().Name);
        }
        finally
        {
            _refreshing.Release();
        }
    }

    private SendControls? Build(DestinationControls c)
    {
        var steps = c.RetrySchedule is null ? null : RetrySchedule.Parse(c.RetrySchedule);
        var rate = c is { RateLimit: { } limit and > 0, RatePeriodMs: { } period and > 0 } ? new RateSpec(limit, period) : null;
        var template = c.Template is null ? null : MessageTemplate.Parse(c.Template).Template;
        if (steps is null && c.TimeoutMs is null && rate is null && template is null) return null;
        return new SendControls(c.DestinationId, steps is null ? null : schedule.WithSteps(steps),
            c.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null, rate) { Template = template };
    }
}
