using System.Diagnostics.Metrics;
using Dapper;
using Herald.Common;
using Herald.Delivery;
using Herald.Storage;

namespace Herald.Observability;

/// <summary>
/// Observable gauges of the backlog. In hand comes from this node's lanes (free to read). Due, retrying and destination
/// counts come from the store, counted at most every <see cref="RefreshEvery"/> in the background and served from that cache,
/// so a scrape never waits for or repeats a query; each delivery count is bounded by <see cref="CountCap"/> rows.
/// </summary>
public sealed class BacklogGauges
{
    public static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(10);
    public const int CountCap = 100_000;

    private readonly Db _db;
    private readonly StoreClock _clock;
    private readonly TimeProvider _time;
    private readonly ILogger<BacklogGauges> _logger;
    private volatile Snapshot? _snapshot;
    private long _refreshedAt = long.MinValue;
    private int _refreshing;

    public BacklogGauges(HeraldMetrics metrics, DispatchLanes lanes, Db db, StoreClock clock, TimeProvider time, ILogger<BacklogGauges> logger)
    {
        (_db, _clock, _time, _logger) = (db, clock, time, logger);
        var meter = metrics.Meter;
        meter.CreateObservableGauge("herald.deliveries.in_hand", () => lanes.InHand, "{delivery}",
            "Deliveries leased to this node whose outcome is not yet recorded.");
        meter.CreateObservableGauge("herald.deliveries.due", () => Read(s => [new Measurement<long>(s.Due)]), "{delivery}",
            $"Pending deliveries due now, in the whole store (counted every {RefreshEvery.TotalSeconds:0} s, at most {CountCap}).");
        meter.CreateObservableGauge("herald.deliveries.retrying", () => Read(s => [new Measurement<long>(s.Retrying)]), "{delivery}",
            $"Pending deliveries that failed at least once and wait for a later try, in the whole store (at most {CountCap}).");
        meter.CreateObservableGauge("herald.destinations", () => Read(s => s.Destinations), "{destination}",
            "Destinations by status and circuit state, in the whole store.");
    }

    private IEnumerable<Measurement<long>> Read(Func<Snapshot, IEnumerable<Measurement<long>>> pick)
    {
        var last = Interlocked.Read(ref _refreshedAt);
        if ((last == long.MinValue || _time.GetElapsedTime(last) >= RefreshEvery) && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            _ = Task.Run(RefreshAsync);
        return _snapshot is { } s ? pick(s) : [];
    }

    private async Task RefreshAsync()
    {
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var (clockNow, clockSkew) = _clock.Args();
            await using var connection = await _db.OpenAsync(bound.Token);
            var due = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
                SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE status = 'pending' AND next_attempt_at <= {_db.Now} LIMIT {CountCap}) t
                """, new { clockNow, clockSkew }, cancellationToken: bound.Token));
            var retrying = await connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
                SELECT COUNT(*) FROM (SELECT 1 FROM deliveries WHERE status = 'pending' AND attempts > 0 AND next_attempt_at > {_db.Now} LIMIT {CountCap}) t
                """, new { clockNow, clockSkew }, cancellationToken: bound.Token));
            var destinations = (await connection.QueryAsync<(string Status, string Circuit, long Count)>(new CommandDefinition(
                    "SELECT status, circuit_state, COUNT(*) FROM destinations GROUP BY status, circuit_state", cancellationToken: bound.Token)))
                .Select(r => new Measurement<long>(r.Count, new KeyValuePair<string, object?>("status", r.Status),
                    new KeyValuePair<string, object?>("circuit.state", r.Circuit)))
                .ToList();
            _snapshot = new Snapshot(due, retrying, destinations);
        }
        catch (Exception e)
        {
            _logger.LogDebug("Counting the backlog for metrics failed ({Error}).", e.GetType().Name);
        }
        finally
        {
            Interlocked.Exchange(ref _refreshedAt, _time.GetTimestamp());
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private sealed record Snapshot(long Due, long Retrying, IReadOnlyList<Measurement<long>> Destinations);
}
