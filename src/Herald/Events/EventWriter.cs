using System.Text.Json;
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
public sealed class EventWriter(Db db, IOptions<HeraldOptions> options, DeliverySignal signal, DispatchLanes lanes, TimeProvider time,
    StoreClock clock, StorageFaultLog faults, Controls.FanOutControls controls, ILogger<EventWriter> logger)
    : BackgroundService
{
    private readonly Channel<PendingEvent> _queue = Channel.CreateBounded<PendingEvent>(
        new BoundedChannelOptions(16_384) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>
    /// Stores the event durably (or finds the earlier one with the same idempotency key) and returns it. When the store
    /// does not take it within Herald:Storage:WriteTimeout, throws <see cref="StorageUnavailableException"/> (503): an
    /// event still waiting in the queue is then dropped, never written later; one already inside a transaction may still
    /// commit, and a retry with the same Idempotency-Key answers with it.
    /// </summary>
    public async Task<WriteResult> WriteAsync(EventRecord e, CancellationToken ct)
    {
        var pending = new PendingEvent(e);
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(db.WriteTimeout);
        try
        {
            await _queue.Writer.WriteAsync(pending, bound.Token);
            return await pending.Done.Task.WaitAsync(bound.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            if (pending.Done.Task.IsCompletedSuccessfully) return pending.Done.Task.Result; // committed just as the bound passed
            pending.Abandon();
            throw new StorageUnavailableException($"the event was not stored within {db.WriteTimeout.TotalSeconds:0.###} s");
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingEvent>();
        var max = options.Value.Events.WriteBatchSize;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                // A caller that gave up (write timeout, or gone) is never written for: it was answered 503, not 202.
                while (batch.Count < max && _queue.Reader.TryRead(out var item))
                    if (item.TryTake()) batch.Add(item);
                if (batch.Count > 0) await WriteBatchAsync(batch);
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
            var (results, handed) = await WriteInOneTransactionAsync(batch);
            lanes.Hand(handed);
            for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            signal.Notify();
        }
        catch (Exception e) when (StorageFault.Classify(e) is { } reason)
        {
            // The store cannot take writes: every caller in the batch is answered 503 at once (splitting would only repeat it).
            faults.Report("event batch(es) not written", reason, e);
            var unavailable = new StorageUnavailableException(reason, e);
            foreach (var item in batch) item.Done.TrySetException(unavailable);
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

    private async Task<(WriteResult[] Results, List<HandedDelivery> Handed)> WriteInOneTransactionAsync(List<PendingEvent> batch)
    {
        var now = time.NowMs();
        var windowStart = now - (long)options.Value.Events.IdempotencyWindow.TotalMilliseconds;
        var leaseMs = (long)options.Value.Delivery.LeaseDuration.TotalMilliseconds;
        var (clockNow, clockSkew) = clock.Args();
        var handed = new List<HandedDelivery>();
        try
        {
            await using var scope = await db.BeginWriteAsync();
            var (connection, tx) = (scope.Connection, scope.Transaction);

            var projects = db.List(batch.Select(b => b.Event.ProjectId).Distinct());
            var destinations = (await connection.QueryAsync<DestinationRecord>(new CommandDefinition(
                    $"SELECT {DestinationStore.Columns} FROM destinations WHERE status = 'active' AND {db.In("project_id", "projects")}",
                    new { projects }, tx)))
                .Select(d => new Subscriber(d, JsonSerializer.Deserialize<string[]>(d.EventTypes)!,
                    d.Categories is null ? null : JsonSerializer.Deserialize<string[]>(d.Categories)))
                .ToLookup(d => d.Record.ProjectId);
            var fanOut = await controls.LoadAsync(connection, tx, projects);

            var results = new WriteResult[batch.Count];
            var seenKeys = new Dictionary<(string, string), int>();
            var newEvents = new List<EventRecord>();
            var newDeliveries = new List<NewDelivery>();
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

                var categories = e.Categories is null ? [] : JsonSerializer.Deserialize<string[]>(e.Categories)!;
                var matching = destinations[e.ProjectId]
                    .Where(d => d.Record.Id != e.ExcludeDestinationId && Subscriptions.Matches(d.Patterns, d.Categories, e.Type, categories)
                        && fanOut.Matches(d.Record.Id, e)).ToList();
                var stored = e with { CreatedAt = now, Deliveries = matching.Count };
                newEvents.Add(stored);
                foreach (var d in matching)
                {
                    var id = Ids.New("dlv");
                    // Leased to this node at once when its dispatcher has room and the destination's circuit is closed: handed
                    // over in memory after the commit. While the circuit is open, the delivery waits for the cool-down's end.
                    var closed = d.Record.CircuitState == CircuitStates.Closed;
                    // A FIFO destination's deliveries are never handed over: its dispatcher claims them one at a time, oldest first.
                    var leased = closed && !fanOut.IsFifo(d.Record.Id) && lanes.TryReserve(d.Record.Id);
                    if (leased)
                        handed.Add(new HandedDelivery(new ClaimedDelivery
                            {
                                Id = id, ProjectId = e.ProjectId, EventId = e.Id, DestinationId = d.Record.Id, CreatedAt = now,
                            }, stored, d.Record));
                    newDeliveries.Add(new NewDelivery(id, e.ProjectId, e.Id, d.Record.Id, leased ? lanes.NodeId : null,
                        d.Record.CircuitState == CircuitStates.Open ? d.Record.CircuitReopensAt : null));
                }
                results[i] = new WriteResult(stored, Replayed: false, Conflict: false);
            }

            if (newEvents.Count > 0 && db.Kind == StoreKind.Sqlite)
            {
                // SQLite: one compiled statement (the write connection keeps it) run per row, cheaper than reading JSON rows.
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO events (id, project_id, type, title, body, data, categories, occurred_at, created_at, idempotency_key, request_hash, deliveries, trace_parent)
                    VALUES (@Id, @ProjectId, @Type, @Title, @Body, @Data, @Categories, @OccurredAt, @CreatedAt, @IdempotencyKey, @RequestHash, @Deliveries, @TraceParent)
                    """, newEvents, tx));
                if (newDeliveries.Count > 0)
                    await connection.ExecuteAsync(new CommandDefinition("""
                        INSERT INTO deliveries (id, project_id, event_id, destination_id, status, attempts, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
                        VALUES (@id, @project_id, @event_id, @destination_id, 'pending', 0, COALESCE(@defer_until, @clockNow), @lease_owner,
                            CASE WHEN @lease_owner IS NULL THEN NULL ELSE @clockNow + @leaseMs END, @now, @now)
                        """, newDeliveries.Select(d => new { d.id, d.project_id, d.event_id, d.destination_id, d.lease_owner, d.defer_until, now, clockNow, leaseMs }), tx));
            }
            else if (newEvents.Count > 0)
                await connection.ExecuteAsync(new CommandDefinition($"""
                    INSERT INTO events (id, project_id, type, title, body, data, categories, occurred_at, created_at, idempotency_key, request_hash, deliveries, trace_parent)
                    SELECT v.id, v.project_id, v.type, v.title, v.body, v.data, v.categories, v.occurred_at, @now, v.idempotency_key, v.request_hash, v.deliveries,
                        v.trace_parent
                    FROM {EventRows}
                    """, new
                    {
                        now,
                        rows = Db.ToJsonRows(newEvents.Select(e => new
                        {
                            id = e.Id, project_id = e.ProjectId, type = e.Type, title = e.Title, body = e.Body, data = e.Data,
                            categories = e.Categories, occurred_at = e.OccurredAt, idempotency_key = e.IdempotencyKey,
                            request_hash = e.RequestHash, deliveries = e.Deliveries, trace_parent = e.TraceParent,
                        })),
                    }, tx));
            if (newDeliveries.Count > 0 && db.Kind == StoreKind.Postgres)
                await connection.ExecuteAsync(new CommandDefinition($"""
                    INSERT INTO deliveries (id, project_id, event_id, destination_id, status, attempts, next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
                    SELECT v.id, v.project_id, v.event_id, v.destination_id, 'pending', 0, COALESCE(v.defer_until, {db.Now}),
                        v.lease_owner, CASE WHEN v.lease_owner IS NULL THEN NULL ELSE {db.Now} + @leaseMs END, @now, @now
                    FROM {DeliveryRows}
                    """, new { now, rows = Db.ToJsonRows(newDeliveries), clockNow, clockSkew, leaseMs }, tx));
            await scope.CommitAsync();
            return (results, handed);
        }
        catch
        {
            foreach (var d in handed) lanes.Unreserve(d.Delivery.DestinationId);
            throw;
        }
    }

    private string EventRows => field ??= db.JsonRows("rows", ("id", "text"), ("project_id", "text"), ("type", "text"), ("title", "text"),
        ("body", "text"), ("data", "text"), ("categories", "text"), ("occurred_at", "bigint"), ("idempotency_key", "text"),
        ("request_hash", "text"), ("deliveries", "int"), ("trace_parent", "text"));

    private string DeliveryRows => field ??= db.JsonRows("rows", ("id", "text"), ("project_id", "text"), ("event_id", "text"),
        ("destination_id", "text"), ("lease_owner", "text"), ("defer_until", "bigint"));

    /// <summary>A delivery row to insert (snake_case: the names of the JSON rows PostgreSQL reads).</summary>
    private sealed record NewDelivery(string id, string project_id, string event_id, string destination_id, string? lease_owner, long? defer_until);

    private sealed record Subscriber(DestinationRecord Record, string[] Patterns, string[]? Categories);

    private sealed class PendingEvent(EventRecord e)
    {
        private int _state; // 0 queued, 1 taken into a batch, 2 abandoned by its caller

        public EventRecord Event { get; } = e;
        public TaskCompletionSource<WriteResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The writer takes the event unless its caller has already given up on it.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

        public void Abandon() => Interlocked.CompareExchange(ref _state, 2, 0);
    }
}

/// <summary>The stored event; Replayed when an earlier publish with the same idempotency key answered; Conflict when that one differed.</summary>
public sealed record WriteResult(EventRecord Event, bool Replayed, bool Conflict);
