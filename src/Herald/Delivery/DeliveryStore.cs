using Dapper;
using Herald.Common;
using Herald.Destinations;
using Herald.Events;
using Herald.Storage;

namespace Herald.Delivery;

/// <summary>SQL for deliveries and attempts: leasing due work, writing outcomes in batches, the delivery log, retries.</summary>
public class DeliveryStore(Db db, TimeProvider time, StoreClock clock)
{
    private string AttemptRows => field ??= db.JsonRows("rows", ("delivery_id", "text"), ("number", "int"), ("project_id", "text"),
        ("destination_id", "text"), ("started_at", "bigint"), ("duration_ms", "int"), ("status_code", "int"), ("outcome", "text"),
        ("response_body", "text"), ("response_headers", "text"));

    private string StateRows => field ??= db.JsonRows("rows", ("id", "text"), ("status", "text"), ("attempts", "int"),
        ("retry_delay_ms", "bigint"), ("defer_until", "bigint"), ("outcome", "text"), ("status_code", "int"), ("completed_at", "bigint"));

    private const string Columns = """
        d.id AS Id, d.project_id AS ProjectId, d.event_id AS EventId, d.destination_id AS DestinationId, d.status AS Status,
        d.attempts AS Attempts, d.next_attempt_at AS NextAttemptAt, d.last_outcome AS LastOutcome, d.last_status_code AS LastStatusCode,
        d.created_at AS CreatedAt, d.updated_at AS UpdatedAt, d.completed_at AS CompletedAt, e.type AS EventType
        """;

    /// <summary>
    /// Leases up to <paramref name="take"/> due deliveries for <paramref name="node"/>: at most <paramref name="headroom"/>(destination)
    /// of each active destination whose circuit is closed, and one probe of a destination whose open circuit's cool-down is over.
    /// Due work is sought per destination through (destination_id, next_attempt_at), so a claim never walks past rows it cannot
    /// take, however large the backlog of busy or open destinations. <paramref name="rotate"/> turns the starting destination so
    /// every destination gets its turn. SQLite reads candidates outside the writer gate and leases them under it, checking again
    /// that each is still due and unleased; PostgreSQL locks them with FOR UPDATE SKIP LOCKED. Times are the store's clock.
    /// </summary>
    /// <remarks>Virtual for tests: a claim that fails as the worker stops.</remarks>
    public virtual async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(string node, int take, Func<string, int> headroom, TimeSpan lease, int rotate,
        CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        List<(string Id, string State, string? Ordering)> open;
        await using (var read = await db.OpenAsync(ct))
        {
            open = (await read.QueryAsync<(string Id, string State, string? Ordering)>(new CommandDefinition($"""
                SELECT d.id, d.circuit_state, c.ordering FROM destinations d LEFT JOIN destination_controls c ON c.destination_id = d.id
                WHERE d.status = 'active' AND (d.circuit_state = 'closed' OR d.circuit_reopens_at <= {db.Now}) ORDER BY d.id
                """, new { clockNow, clockSkew }, cancellationToken: ct))).ToList();
        }
        var candidates = new List<(string Id, int Cap, bool Probe)>(open.Count);
        var fifo = new List<(string Id, bool Probe)>(); // ordering "fifo": only the oldest pending delivery, one at a time (Controls/)
        for (var i = 0; i < open.Count; i++)
        {
            var (id, state, ordering) = open[(i + rotate % Math.Max(open.Count, 1) + open.Count) % open.Count];
            var room = headroom(id);
            if (room <= 0) continue;
            var probe = state != CircuitStates.Closed;
            if (ordering == Controls.Orderings.Fifo) fifo.Add((id, probe));
            else candidates.Add((id, probe ? 1 : room, probe));
        }
        if (candidates.Count == 0 && fifo.Count == 0) return [];

        await using var scope = db.Kind == StoreKind.Postgres ? await db.BeginWriteAsync(ct, Durability.Deferred) : null;
        var now = scope is null ? clockNow : await scope.Connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT {db.Now}", new { clockNow, clockSkew }, scope.Transaction, cancellationToken: ct));
        var picked = new List<(string Id, string DestinationId)>(take);
        if (scope is not null)
        {
            picked.AddRange(await scope.Connection.QueryAsync<(string Id, string DestinationId)>(new CommandDefinition("""
                SELECT l.id, x.dest FROM unnest(@dests, @caps) AS x(dest, cap)
                CROSS JOIN LATERAL (
                    SELECT id FROM deliveries
                    WHERE destination_id = x.dest AND status = 'pending' AND next_attempt_at <= @now
                      AND (lease_expires_at IS NULL OR lease_expires_at < @now)
                    ORDER BY next_attempt_at LIMIT x.cap FOR UPDATE SKIP LOCKED) l
                LIMIT @take
                """, new { dests = candidates.Select(c => c.Id).ToArray(), caps = candidates.Select(c => c.Cap).ToArray(), now, take },
                scope.Transaction, cancellationToken: ct)));
            if (fifo.Count > 0 && picked.Count < take)
                picked.AddRange((await scope.Connection.QueryAsync<(string Id, string DestinationId)>(new CommandDefinition("""
                    SELECT h.id, x.dest FROM unnest(@fifo) AS x(dest)
                    CROSS JOIN LATERAL (
                        SELECT id, next_attempt_at, lease_expires_at FROM deliveries
                        WHERE destination_id = x.dest AND status = 'pending' ORDER BY seq LIMIT 1) h
                    WHERE h.next_attempt_at <= @now AND (h.lease_expires_at IS NULL OR h.lease_expires_at < @now)
                      AND NOT EXISTS (SELECT 1 FROM deliveries o
                          WHERE o.destination_id = x.dest AND o.status = 'pending' AND o.lease_expires_at >= @now)
                    LIMIT @left
                    """, new { fifo = fifo.Select(f => f.Id).ToArray(), now, left = take - picked.Count }, scope.Transaction, cancellationToken: ct))));
        }
        else
        {
            await using var read = (Microsoft.Data.Sqlite.SqliteConnection)await db.OpenAsync(ct);
            await using var seek = read.CreateCommand();
            seek.CommandText = """
                SELECT id FROM deliveries INDEXED BY ix_deliveries_destination_due
                WHERE destination_id = $destination AND status = 'pending' AND next_attempt_at <= $now
                  AND (lease_expires_at IS NULL OR lease_expires_at < $now)
                ORDER BY next_attempt_at LIMIT $cap
                """;
            var destination = seek.Parameters.Add("$destination", Microsoft.Data.Sqlite.SqliteType.Text);
            seek.Parameters.AddWithValue("$now", now);
            var cap = seek.Parameters.Add("$cap", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (var c in candidates)
            {
                if (picked.Count >= take) break;
                destination.Value = c.Id;
                cap.Value = Math.Min(c.Cap, take - picked.Count);
                await using var reader = await seek.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct)) picked.Add((reader.GetString(0), c.Id));
            }
            if (fifo.Count > 0)
            {
                // Publish order is the rowid (it grows with each insert).
                await using var head = read.CreateCommand();
                head.CommandText = """
                    SELECT h.id FROM (
                        SELECT id, next_attempt_at, lease_expires_at FROM deliveries INDEXED BY ix_deliveries_fifo_head
                        WHERE destination_id = $destination AND status = 'pending' ORDER BY rowid LIMIT 1) h
                    WHERE h.next_attempt_at <= $now AND (h.lease_expires_at IS NULL OR h.lease_expires_at < $now)
                      AND NOT EXISTS (SELECT 1 FROM deliveries o
                          WHERE o.destination_id = $destination AND o.status = 'pending' AND o.lease_expires_at >= $now)
                    """;
                var headOf = head.Parameters.Add("$destination", Microsoft.Data.Sqlite.SqliteType.Text);
                head.Parameters.AddWithValue("$now", now);
                foreach (var f in fifo)
                {
                    if (picked.Count >= take) break;
                    headOf.Value = f.Id;
                    if (await head.ExecuteScalarAsync(ct) is string id) picked.Add((id, f.Id));
                }
            }
        }
        if (picked.Count == 0) return [];

        await using var write = scope ?? await db.BeginWriteAsync(ct, Durability.Deferred);
        // A probe is taken by one node only: the one that moves the circuit to half_open (its reopens_at becomes the probe's deadline).
        foreach (var probe in candidates.Where(c => c.Probe).Select(c => c.Id).Concat(fifo.Where(f => f.Probe).Select(f => f.Id))
                     .Intersect(picked.Select(p => p.DestinationId)).ToList())
        {
            var won = await write.Connection.ExecuteAsync(new CommandDefinition("""
                UPDATE destinations SET circuit_state = 'half_open', circuit_reopens_at = @deadline
                WHERE id = @probe AND circuit_state <> 'closed' AND circuit_reopens_at <= @now
                """, new { probe, now, deadline = now + (long)lease.TotalMilliseconds }, write.Transaction, cancellationToken: ct));
            if (won == 0) picked.RemoveAll(p => p.DestinationId == probe);
        }
        if (picked.Count == 0)
        {
            await write.CommitAsync(ct);
            return [];
        }
        var rows = await write.Connection.QueryAsync<ClaimedDelivery>(new CommandDefinition($"""
            UPDATE deliveries SET lease_owner = @node, lease_expires_at = @expires
            WHERE {db.In("id", "picked")} AND status = 'pending' AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at < @now)
            RETURNING id AS Id, project_id AS ProjectId, event_id AS EventId, destination_id AS DestinationId, attempts AS Attempts, created_at AS CreatedAt
            """, new { node, now, expires = now + (long)lease.TotalMilliseconds, picked = db.List(picked.Select(p => p.Id)) }, write.Transaction, cancellationToken: ct));
        var claimed = rows.ToList();
        await write.CommitAsync(ct);
        return claimed;
    }

    /// <summary>Most deliveries whose due time an opening circuit moves in its transaction.</summary>
    public const int MaxDeferredPerOpening = 1000;

    /// <summary>Extends this node's leases on the deliveries it still has in hand (and only those), on the store's clock.</summary>
    public async Task RenewLeasesAsync(string node, IReadOnlyCollection<string> inHand, TimeSpan lease, CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        await scope.Connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE deliveries SET lease_expires_at = {db.Now} + @leaseMs WHERE lease_owner = @node AND status = 'pending' AND {db.In("id", "ids")}",
            new { node, ids = db.List(inHand), clockNow, clockSkew, leaseMs = (long)lease.TotalMilliseconds }, scope.Transaction, cancellationToken: ct));
        await scope.CommitAsync(ct);
    }

    /// <summary>
    /// A destination was turned off: its pending deliveries that no node holds end as failed (destination_disabled); one a node
    /// holds ends the same way when that node finds the destination off.
    /// </summary>
    public async Task<int> FailPendingAsync(string destinationId, CancellationToken ct, System.Data.Common.DbConnection? connection = null,
        System.Data.Common.DbTransaction? tx = null)
    {
        var (clockNow, clockSkew) = clock.Args();
        var sql = $"""
            UPDATE deliveries SET status = 'failed', last_outcome = 'destination_disabled', last_status_code = NULL,
                completed_at = @now, updated_at = @now
            WHERE destination_id = @destinationId AND status = 'pending' AND (lease_expires_at IS NULL OR lease_expires_at < {db.Now})
            """;
        var args = new { destinationId, now = time.NowMs(), clockNow, clockSkew };
        if (connection is not null) return await connection.ExecuteAsync(new CommandDefinition(sql, args, tx, cancellationToken: ct));
        await using var own = await db.OpenAsync(ct);
        return await own.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: ct));
    }

    /// <summary>Hands back leases this node holds on deliveries it will not send (shutdown): they are claimable at once.</summary>
    public async Task<int> ReleaseLeasesAsync(string node, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0) return 0;
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        var released = await scope.Connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = @node AND status = 'pending' AND {db.In("id", "ids")}",
            new { node, ids = db.List(ids) }, scope.Transaction, cancellationToken: ct));
        await scope.CommitAsync(ct);
        return released;
    }

    public async Task<(Dictionary<string, EventRecord> Events, Dictionary<string, DestinationRecord> Destinations)> LoadAsync(
        IReadOnlyCollection<string> eventIds, IReadOnlyCollection<string> destinationIds, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var events = await connection.QueryAsync<EventRecord>(new CommandDefinition(
            $"SELECT {EventStore.Columns} FROM events WHERE {db.In("id", "eventIds")}", new { eventIds = db.List(eventIds) }, cancellationToken: ct));
        var destinations = await connection.QueryAsync<DestinationRecord>(new CommandDefinition(
            $"SELECT {DestinationStore.Columns} FROM destinations WHERE {db.In("id", "destinationIds")}", new { destinationIds = db.List(destinationIds) }, cancellationToken: ct));
        return (events.ToDictionary(e => e.Id), destinations.ToDictionary(d => d.Id));
    }

    /// <summary>
    /// Writes a batch of outcomes in one transaction: attempts, delivery states (only where this node still holds the lease, and
    /// only for deliveries that still exist: an erased one is dropped quietly), each destination's last status and failure
    /// streak, and its circuit. Returns destinations to disable, circuits that opened or closed, and every touched circuit.
    /// </summary>
    public async Task<OutcomeWrite> WriteOutcomesAsync(string node, IReadOnlyList<DeliveryOutcome> outcomes, OutcomePolicy policy,
        CancellationToken ct)
    {
        var now = time.NowMs();
        var (clockNow, clockSkew) = clock.Args();
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        var (connection, tx) = (scope.Connection, scope.Transaction);

        // Lock order: destinations, then deliveries (as a cascading DELETE of a destination does), each by id, so writers
        // on several nodes and deletes cannot deadlock.
        var byDestination = outcomes.Where(o => o.Attempted).GroupBy(o => o.Delivery.DestinationId)
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        var attempted = byDestination.Select(g => g.MaxBy(o => o.StartedAt)!).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE destinations SET last_delivery_status = @Outcome, last_delivery_at = @At,
                failing_since = CASE WHEN @Ok = 1 THEN NULL ELSE COALESCE(failing_since, @At) END
            WHERE id = @Id AND (last_delivery_at IS NULL OR last_delivery_at <= @At)
            """, attempted.Select(o => new
            {
                Id = o.Delivery.DestinationId, o.Outcome, At = o.StartedAt, Ok = o.Succeeded ? 1 : 0,
            }), tx, cancellationToken: ct));

        // The breaker counts attempts that failed at the destination in a row; a success resets the count.
        var streaks = byDestination.Select(g =>
        {
            var ordered = g.OrderBy(o => o.StartedAt).ToList();
            var lastSuccess = ordered.FindLastIndex(o => o.Succeeded);
            return new
            {
                Id = g.Key, Succeeded = lastSuccess >= 0 ? 1 : 0,
                Trailing = ordered.Skip(lastSuccess + 1).Count(o => o.FailedAtDestination),
            };
        }).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE destinations SET circuit_failures = CASE WHEN @Succeeded = 1 THEN @Trailing ELSE circuit_failures + @Trailing END
            WHERE id = @Id
            """, streaks, tx, cancellationToken: ct));
        var changes = new List<CircuitChange>();
        var touched = streaks.Select(s => s.Id).ToList();
        if (touched.Count > 0)
        {
            // Closed with too many failures in a row, or a half-open probe that failed: open, for a cool-down that doubles
            // with each opening (capped). Any success closes it.
            var cooldown = (long)policy.Cooldown.TotalMilliseconds;
            var maxCooldown = (long)policy.MaxCooldown.TotalMilliseconds;
            // A destination whose last attempt here succeeded has no failures left, so it cannot open: the usual batch skips this.
            var opened = streaks.All(s => s.Succeeded == 1 && s.Trailing == 0) ? [] : await connection.QueryAsync<DestinationRecord>(new CommandDefinition($"""
                UPDATE destinations SET circuit_state = 'open', circuit_opens = circuit_opens + 1,
                    circuit_reopens_at = {db.Now} + CASE WHEN circuit_opens >= 20 OR @cooldown * (1 << circuit_opens) > @maxCooldown
                        THEN @maxCooldown ELSE @cooldown * (1 << circuit_opens) END
                WHERE {db.In("id", "touched")} AND status = 'active'
                  AND ((circuit_state = 'closed' AND circuit_failures >= @threshold) OR (circuit_state = 'half_open' AND circuit_failures > 0))
                RETURNING {DestinationStore.Columns}
                """, new { touched = db.List(touched), threshold = policy.FailureThreshold, cooldown, maxCooldown, clockNow, clockSkew },
                tx, cancellationToken: ct));
            var closed = await connection.QueryAsync<DestinationRecord>(new CommandDefinition($"""
                UPDATE destinations SET circuit_state = 'closed', circuit_opens = 0, circuit_reopens_at = NULL
                WHERE {db.In("id", "touched")} AND circuit_state <> 'closed' AND circuit_failures = 0
                RETURNING {DestinationStore.Columns}
                """, new { touched = db.List(streaks.Where(s => s.Succeeded == 1).Select(s => s.Id)) }, tx, cancellationToken: ct));
            changes.AddRange(opened.Select(d => new CircuitChange(d, true, d.CircuitReopensAt)));
            changes.AddRange(closed.Select(d => new CircuitChange(d, false, null)));
            // What was due before the end of the cool-down waits for it (unleased rows; what a node holds, it defers itself).
            // Nothing is attempted, so no delivery spends its retry schedule. The move is bounded, so a dead destination's
            // large backlog never holds this transaction: claims skip an open circuit's rows whatever their due time.
            foreach (var o in opened)
                await connection.ExecuteAsync(new CommandDefinition($"""
                    UPDATE deliveries SET next_attempt_at = @reopens
                    WHERE id IN (SELECT id FROM deliveries
                        WHERE destination_id = @id AND status = 'pending' AND next_attempt_at < @reopens
                          AND (lease_owner IS NULL OR lease_expires_at < @reopens)
                        ORDER BY next_attempt_at LIMIT @bound)
                    """, new { id = o.Id, reopens = o.CircuitReopensAt, bound = MaxDeferredPerOpening }, tx, cancellationToken: ct));
        }

        // Only deliveries that still exist get an attempt or a new state; PostgreSQL locks them, so an erasure cannot delete one
        // between the check and the write (which would fail the whole batch on the attempts' foreign key).
        var ids = outcomes.Select(o => o.Delivery.Id).Distinct().Order(StringComparer.Ordinal).ToList();
        var existing = (await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM deliveries WHERE {db.In("id", "ids")} ORDER BY id{(db.Kind == StoreKind.Postgres ? " FOR UPDATE" : "")}",
            new { ids = db.List(ids) }, tx, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);
        var live = outcomes.Where(o => existing.Contains(o.Delivery.Id)).ToList();

        var attempts = live.Where(o => o.Attempted).Select(o => new
        {
            delivery_id = o.Delivery.Id, number = o.Delivery.Attempts + 1, project_id = o.Delivery.ProjectId,
            destination_id = o.Delivery.DestinationId, started_at = o.StartedAt, duration_ms = o.DurationMs, status_code = o.StatusCode,
            outcome = o.Outcome, response_body = o.ResponseBody, response_headers = o.ResponseHeaders,
        }).ToList();
        if (attempts.Count > 0 && db.Kind == StoreKind.Sqlite)
            // SQLite: one compiled statement (the write connection keeps it) run per row, cheaper than reading JSON rows.
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO attempts (delivery_id, number, project_id, destination_id, started_at, duration_ms, status_code, outcome, response_body,
                    response_headers)
                SELECT @delivery_id, @number, @project_id, @destination_id, @started_at, @duration_ms, @status_code, @outcome, @response_body,
                    @response_headers
                WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = @delivery_id)
                ON CONFLICT (delivery_id, number) DO NOTHING
                """, attempts, tx, cancellationToken: ct));
        else if (attempts.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO attempts (delivery_id, number, project_id, destination_id, started_at, duration_ms, status_code, outcome, response_body,
                    response_headers)
                SELECT v.delivery_id, v.number, v.project_id, v.destination_id, v.started_at, v.duration_ms, v.status_code, v.outcome, v.response_body,
                    v.response_headers
                FROM {AttemptRows} WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = v.delivery_id)
                ON CONFLICT (delivery_id, number) DO NOTHING
                """, new { rows = Db.ToJsonRows(attempts) }, tx, cancellationToken: ct));

        var states = live.OrderBy(o => o.Delivery.Id, StringComparer.Ordinal).Select(o => new
        {
            id = o.Delivery.Id, status = o.NewStatus, attempts = o.Delivery.Attempts + (o.Attempted ? 1 : 0),
            retry_delay_ms = o.RetryDelayMs, defer_until = o.DeferUntil, outcome = o.DeferUntil is null ? o.Outcome : null, status_code = o.StatusCode,
            completed_at = o.NewStatus == DeliveryStatuses.Pending ? (long?)null : now,
        }).ToList();
        var updated = states.Count == 0 ? [] : db.Kind == StoreKind.Sqlite ? await UpdateStatesOneByOneAsync() : (await connection.QueryAsync<(string Id, string Status)>(new CommandDefinition($"""
                UPDATE deliveries SET status = v.status, attempts = v.attempts,
                    next_attempt_at = COALESCE(v.defer_until, {db.Now} + v.retry_delay_ms, deliveries.next_attempt_at),
                    lease_owner = NULL, lease_expires_at = NULL, last_outcome = COALESCE(v.outcome, deliveries.last_outcome),
                    last_status_code = CASE WHEN v.outcome IS NULL THEN deliveries.last_status_code ELSE v.status_code END,
                    updated_at = @now, completed_at = v.completed_at
                FROM {StateRows}
                WHERE deliveries.id = v.id AND deliveries.lease_owner = @node
                RETURNING deliveries.id, deliveries.status
                """, new { rows = Db.ToJsonRows(states), now, node, clockNow, clockSkew }, tx, cancellationToken: ct))).ToList();
        async Task<List<(string Id, string Status)>> UpdateStatesOneByOneAsync()
        {
            var done = new List<(string Id, string Status)>(states.Count);
            foreach (var v in states)
                if (await connection.ExecuteAsync(new CommandDefinition("""
                        UPDATE deliveries SET status = @status, attempts = @attempts,
                            next_attempt_at = COALESCE(@defer_until, @clockNow + @retry_delay_ms, next_attempt_at),
                            lease_owner = NULL, lease_expires_at = NULL, last_outcome = COALESCE(@outcome, last_outcome),
                            last_status_code = CASE WHEN @outcome IS NULL THEN last_status_code ELSE @status_code END,
                            updated_at = @now, completed_at = @completed_at
                        WHERE id = @id AND lease_owner = @node
                        """, new { v.id, v.status, v.attempts, v.defer_until, v.retry_delay_ms, v.outcome, v.status_code, v.completed_at, now, node, clockNow },
                        tx, cancellationToken: ct)) == 1)
                    done.Add((v.id, v.status));
            return done;
        }
        var failedIds = live.Where(o => o.Attempted && o.NewStatus == DeliveryStatuses.Failed).Select(o => o.Delivery.Id)
            .Intersect(updated.Where(u => u.Status == DeliveryStatuses.Failed).Select(u => u.Id), StringComparer.Ordinal).ToList();

        var gone = live.Where(o => o.DisableDestination).Select(o => o.Delivery.DestinationId).Distinct().ToList();
        var failing = attempted.Where(o => !o.Succeeded).Select(o => o.Delivery.DestinationId).ToList();
        var disabled = new List<DestinationRecord>();
        if (gone.Count > 0 || failing.Count > 0)
        {
            var conditions = new List<string>();
            if (gone.Count > 0) conditions.Add(db.In("id", "gone"));
            if (failing.Count > 0) conditions.Add($"({db.In("id", "failing")} AND failing_since <= @cutoff)");
            disabled.AddRange(await connection.QueryAsync<DestinationRecord>(new CommandDefinition($"""
                UPDATE destinations SET status = 'auto_disabled', updated_at = @now
                WHERE status = 'active' AND ({string.Join(" OR ", conditions)})
                RETURNING {DestinationStore.Columns}
                """, new { now, gone = db.List(gone), failing = db.List(failing), cutoff = now - (long)policy.DisableAfter.TotalMilliseconds }, tx, cancellationToken: ct)));
            foreach (var d in disabled) await FailPendingAsync(d.Id, ct, connection, tx);
        }

        var circuits = touched.Count == 0 ? [] : (await connection.QueryAsync<CircuitView>(new CommandDefinition($"""
            SELECT id AS DestinationId, circuit_state AS State, circuit_reopens_at AS ReopensAt FROM destinations WHERE {db.In("id", "touched")}
            """, new { touched = db.List(touched) }, tx, cancellationToken: ct))).ToList();
        // Deliveries this write ended as failed after a try (their schedule ran out, or 410): announced as herald.delivery.failed.
        var failed = failedIds.Count == 0 ? [] : (await connection.QueryAsync<FailedDelivery>(new CommandDefinition($"""
            SELECT d.id AS DeliveryId, d.project_id AS ProjectId, d.event_id AS EventId, e.type AS EventType, d.destination_id AS DestinationId,
                   t.kind AS Kind, d.attempts AS Attempts, d.last_outcome AS LastOutcome
            FROM deliveries d JOIN events e ON e.id = d.event_id JOIN destinations t ON t.id = d.destination_id
            WHERE {db.In("d.id", "failedIds")} ORDER BY d.id
            """, new { failedIds = db.List(failedIds) }, tx, cancellationToken: ct))).ToList();
        await scope.CommitAsync(ct);
        return new OutcomeWrite(disabled, changes, circuits, outcomes.Count - live.Count) { Failed = failed };
    }

    public async Task<DeliveryRecord?> GetAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DeliveryRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id = @id AND d.project_id = @projectId",
            new { projectId, id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DeliveryRecord>> ForEventAsync(string eventId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<DeliveryRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.event_id = @eventId ORDER BY d.created_at, d.id",
            new { eventId }, cancellationToken: ct))).ToList();
    }

    /// <summary>A destination's deliveries, newest first, optionally only those with one status.</summary>
    public async Task<Page<DeliveryRecord>> ForDestinationAsync(string destinationId, string? status, string? cursor, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<DeliveryRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.destination_id = @destinationId AND (@status IS NULL OR d.status = @status)
              AND (@after = 0 OR d.created_at < @afterAt OR (d.created_at = @afterAt AND d.id < @afterId))
            ORDER BY d.created_at DESC, d.id DESC LIMIT @take
            """, new { destinationId, status, after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, d => Cursor.Encode(d.CreatedAt, d.Id));
    }

    /// <summary>The console's delivery log: a project's newest deliveries, optionally for one destination, status or event.</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> ForProjectAsync(string projectId, string? destinationId, string? status, string? eventId,
        int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<DeliveryRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.project_id = @projectId AND (@destinationId IS NULL OR d.destination_id = @destinationId)
              AND (@status IS NULL OR d.status = @status) AND (@eventId IS NULL OR d.event_id = @eventId)
            ORDER BY d.created_at DESC, d.id DESC LIMIT @limit
            """, new { projectId, destinationId, status, eventId, limit }, cancellationToken: ct))).ToList();
    }

    public async Task<ILookup<string, AttemptRecord>> AttemptsForAsync(IReadOnlyCollection<string> deliveryIds, CancellationToken ct)
    {
        if (deliveryIds.Count == 0) return Array.Empty<AttemptRecord>().ToLookup(a => a.DeliveryId);
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<AttemptRecord>(new CommandDefinition($"""
            SELECT delivery_id AS DeliveryId, number AS Number, project_id AS ProjectId, destination_id AS DestinationId,
                   started_at AS StartedAt, duration_ms AS DurationMs, status_code AS StatusCode, outcome AS Outcome, response_body AS ResponseBody
            FROM attempts WHERE {db.In("delivery_id", "ids")} ORDER BY number
            """, new { ids = db.List(deliveryIds) }, cancellationToken: ct));
        return rows.ToLookup(a => a.DeliveryId);
    }

    /// <summary>Attempts per hour since <paramref name="since"/>: (hour start in ms, delivered, failed).</summary>
    public async Task<IReadOnlyList<(long Hour, long Delivered, long Failed)>> HourlyAsync(string projectId, long since, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Hour, long Delivered, long Failed)>(new CommandDefinition("""
            SELECT (started_at / 3600000) * 3600000 AS hour,
                   SUM(CASE WHEN outcome LIKE 'delivered%' THEN 1 ELSE 0 END) AS delivered,
                   SUM(CASE WHEN outcome LIKE 'delivered%' THEN 0 ELSE 1 END) AS failed
            FROM attempts WHERE project_id = @projectId AND started_at >= @since
            GROUP BY (started_at / 3600000) * 3600000
            """, new { projectId, since }, cancellationToken: ct));
        return rows.ToList();
    }

    public async Task<IReadOnlyList<AttemptRecord>> AttemptsAsync(string deliveryId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<AttemptRecord>(new CommandDefinition("""
            SELECT delivery_id AS DeliveryId, number AS Number, project_id AS ProjectId, destination_id AS DestinationId,
                   started_at AS StartedAt, duration_ms AS DurationMs, status_code AS StatusCode, outcome AS Outcome, response_body AS ResponseBody,
                   response_headers AS ResponseHeaders
            FROM attempts WHERE delivery_id = @deliveryId ORDER BY number
            """, new { deliveryId }, cancellationToken: ct))).ToList();
    }

    /// <summary>Every attempt to a destination, newest first (the seed-002 delivery log).</summary>
    public async Task<Page<AttemptRecord>> AttemptsForDestinationAsync(string destinationId, string? cursor, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterKey);
        var rows = (await connection.QueryAsync<AttemptRecord>(new CommandDefinition("""
            SELECT a.delivery_id AS DeliveryId, a.number AS Number, a.project_id AS ProjectId, a.destination_id AS DestinationId,
                   a.started_at AS StartedAt, a.duration_ms AS DurationMs, a.status_code AS StatusCode, a.outcome AS Outcome,
                   a.response_body AS ResponseBody, d.event_id AS EventId, e.type AS EventType
            FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN events e ON e.id = d.event_id
            WHERE a.destination_id = @destinationId
              AND (@after = 0 OR a.started_at < @afterAt OR (a.started_at = @afterAt AND a.delivery_id || ':' || a.number < @afterKey))
            ORDER BY a.started_at DESC, a.delivery_id DESC, a.number DESC LIMIT @take
            """, new { destinationId, after = after ? 1 : 0, afterAt, afterKey, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, a => Cursor.Encode(a.StartedAt, $"{a.DeliveryId}:{a.Number}"));
    }

    /// <summary>Queues one delivery for an immediate new try (it keeps its attempt history). False when it does not exist.</summary>
    public async Task<bool> RetryAsync(string projectId, string id, CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE deliveries SET status = 'pending', next_attempt_at = {db.Now}, completed_at = NULL, updated_at = @now
            WHERE id = @id AND project_id = @projectId AND status <> 'delivered'
            """, new { projectId, id, now = time.NowMs(), clockNow, clockSkew }, cancellationToken: ct)) > 0;
    }

    /// <summary>Re-queues every failed delivery of a destination created since <paramref name="since"/>; returns how many.</summary>
    public async Task<int> RecoverAsync(string destinationId, long since, CancellationToken ct)
    {
        var (clockNow, clockSkew) = clock.Args();
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE deliveries SET status = 'pending', next_attempt_at = {db.Now}, completed_at = NULL, updated_at = @now
            WHERE destination_id = @destinationId AND status = 'failed' AND created_at >= @since
            """, new { destinationId, since, now = time.NowMs(), clockNow, clockSkew }, cancellationToken: ct));
    }
}

/// <summary>The limits an outcome write applies: auto-disable after failing this long, and the circuit breaker's settings.</summary>
public sealed record OutcomePolicy(TimeSpan DisableAfter, int FailureThreshold, TimeSpan Cooldown, TimeSpan MaxCooldown);

/// <summary>What writing a batch of outcomes changed: destinations disabled, circuits opened or closed, the circuits it touched,
/// and how many outcomes were dropped because their delivery no longer exists.</summary>
public sealed record OutcomeWrite(IReadOnlyList<DestinationRecord> Disabled, IReadOnlyList<CircuitChange> Changes,
    IReadOnlyList<CircuitView> Circuits, int Dropped)
{
    /// <summary>Deliveries this write ended as failed after a try: their retry schedule ran out (or the destination answered 410).</summary>
    public IReadOnlyList<FailedDelivery> Failed { get; init; } = [];
}

/// <summary>A delivery that ended as failed after a try, with what herald.delivery.failed tells about it.</summary>
public sealed record FailedDelivery
{
    public required string DeliveryId { get; init; }
    public required string ProjectId { get; init; }
    public required string EventId { get; init; }
    public required string EventType { get; init; }
    public required string DestinationId { get; init; }
    public required string Kind { get; init; }
    public int Attempts { get; init; }
    public string? LastOutcome { get; init; }
}
