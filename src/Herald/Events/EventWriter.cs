using System.Threading.Channels;
using Dapper;
using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Options;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Events;

/// <summary>
/// Group commit for publishing: concurrent publishes are queued and written together, each event with one delivery per
/// matching active destination, in one transaction; every caller's task completes only after that commit.
/// </summary>
public sealed class EventWriter(Db db, IOptions<HeraldOptions> options, DeliverySignal signal, TimeProvider time, ILogger<EventWriter> logger)
    : BackgroundService
{
    private readonly Channel<PendingEvent> _queue = Channel.CreateBounded<PendingEvent>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Stores the event durably (or finds the earlier one with the same idempotency key) and returns it.</summary>
    public async Task<WriteResult> WriteAsync(EventRecord e, CancellationToken ct)
    {
        var pending = new PendingEvent(e);
        await _queue.Writer.WriteAsync(pending, ct);
        return await pending.Done.Task.WaitAsync(ct);
    }

    private static double[] Ph = new double[4];
    private long _n, _sum; private double _t;
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingEvent>();
        var max = options.Value.Events.WriteBatchSize;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < max && _queue.Reader.TryRead(out var item)) batch.Add(item);
                var t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                await WriteBatchAsync(batch);
                _n++; _sum += batch.Count; _t += System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                if (_n % 200 == 0) { Console.Error.WriteLine($"PROBE batches={_n} avg={_sum/(double)_n:0.0} avgms={_t/_n:0.00} open={Ph[0]/_n:0.00} dest={Ph[1]/_n:0.00} ins={Ph[2]/_n:0.00} commit={Ph[3]/_n:0.00}"); }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Whatever is still queued was never acknowledged: tell its callers.
        while (_queue.Reader.TryRead(out var left)) left.Done.TrySetException(new OperationCanceledException("Herald is shutting down."));
    }

    private async Task WriteBatchAsync(List<PendingEvent> batch)
    {
        try
        {
            var results = await WriteInOneTransactionAsync(batch);
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            signal.Notify();
        }
        catch (Exception e) when (batch.Count > 1)
        {
            logger.LogWarning("A batch of {Count} events failed to write ({Error}); writing them one by one.", batch.Count, e.GetType().Name);
            foreach (var item in batch) await WriteBatchAsync([item]);
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }

    private async Task<WriteResult[]> WriteInOneTransactionAsync(List<PendingEvent> batch)
    {
        var now = time.NowMs();
        var windowStart = now - (long)options.Value.Events.IdempotencyWindow.TotalMilliseconds;
        var p0 = System.Diagnostics.Stopwatch.GetTimestamp();
        await using var scope = await db.BeginWriteAsync();
        var (connection, tx) = (scope.Connection, scope.Transaction);
        Ph[0] += System.Diagnostics.Stopwatch.GetElapsedTime(p0).TotalMilliseconds; p0 = System.Diagnostics.Stopwatch.GetTimestamp();

        var projects = batch.Select(b => b.Event.ProjectId).Distinct().ToArray();
        var destinations = (await connection.QueryAsync<(string Id, string ProjectId, string EventTypes, string? Categories)>(new CommandDefinition(
                $"SELECT id, project_id, event_types, categories FROM destinations WHERE status = 'active' AND {db.In("project_id", "projects")}",
                new { projects }, tx)))
            .Select(d => new Subscriber(d.Id, d.ProjectId, System.Text.Json.JsonSerializer.Deserialize<string[]>(d.EventTypes)!,
                d.Categories is null ? null : System.Text.Json.JsonSerializer.Deserialize<string[]>(d.Categories)))
            .ToLookup(d => d.ProjectId);

        Ph[1] += System.Diagnostics.Stopwatch.GetElapsedTime(p0).TotalMilliseconds; p0 = System.Diagnostics.Stopwatch.GetTimestamp();
        var results = new WriteResult[batch.Count];
        var seenKeys = new Dictionary<(string, string), int>();
        var newEvents = new List<EventRecord>();
        var newDeliveries = new List<object>();
        for (var i = 0; i < batch.Count; i++)
        {
            var e = batch[i].Event;
            if (e.IdempotencyKey is { } key)
            {
                if (seenKeys.TryGetValue((e.ProjectId, key), out var earlier))
                {
                    results[i] = results[earlier] with { Replayed = true, Conflict = results[earlier].Event.RequestHash != e.RequestHash };
                    continue;
                }
                var existing = await connection.QuerySingleOrDefaultAsync<EventRecord>(new CommandDefinition(
                    $"SELECT {EventStore.Columns} FROM events WHERE project_id = @ProjectId AND idempotency_key = @IdempotencyKey", e, tx));
                if (existing is not null && existing.CreatedAt >= windowStart)
                {
                    results[i] = new WriteResult(existing, Replayed: true, Conflict: existing.RequestHash != e.RequestHash);
                    continue;
                }
                if (existing is not null) // an old use of the key, outside the window: release it
                    await connection.ExecuteAsync(new CommandDefinition("UPDATE events SET idempotency_key = NULL WHERE id = @Id", existing, tx));
                seenKeys[(e.ProjectId, key)] = i;
            }

            var categories = e.Categories is null ? [] : System.Text.Json.JsonSerializer.Deserialize<string[]>(e.Categories)!;
            var matching = destinations[e.ProjectId].Where(d => Subscriptions.Matches(d.Patterns, d.Categories, e.Type, categories)).ToList();
            var stored = e with { CreatedAt = now, Deliveries = matching.Count };
            newEvents.Add(stored);
            foreach (var d in matching)
                newDeliveries.Add(new { Id = Ids.New("dlv"), e.ProjectId, EventId = e.Id, DestinationId = d.Id, Now = now });
            results[i] = new WriteResult(stored, Replayed: false, Conflict: false);
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO events (id, project_id, type, title, body, data, categories, occurred_at, created_at, idempotency_key, request_hash, deliveries)
            VALUES (@Id, @ProjectId, @Type, @Title, @Body, @Data, @Categories, @OccurredAt, @CreatedAt, @IdempotencyKey, @RequestHash, @Deliveries)
            """, newEvents, tx));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO deliveries (id, project_id, event_id, destination_id, status, attempts, next_attempt_at, created_at, updated_at)
            VALUES (@Id, @ProjectId, @EventId, @DestinationId, 'pending', 0, @Now, @Now, @Now)
            """, newDeliveries, tx));
        Ph[2] += System.Diagnostics.Stopwatch.GetElapsedTime(p0).TotalMilliseconds; p0 = System.Diagnostics.Stopwatch.GetTimestamp();
        await scope.CommitAsync();
        Ph[3] += System.Diagnostics.Stopwatch.GetElapsedTime(p0).TotalMilliseconds;
        return results;
    }

    private sealed record Subscriber(string Id, string ProjectId, string[] Patterns, string[]? Categories);

    private sealed class PendingEvent(EventRecord e)
    {
        public EventRecord Event { get; } = e;
        public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>The stored event; Replayed when an earlier publish with the same idempotency key answered; Conflict when that one differed.</summary>
public sealed record WriteResult(EventRecord Event, bool Replayed, bool Conflict);
