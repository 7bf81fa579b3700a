using Dapper;
using Herald.Common;
using Herald.Destinations;
using Herald.Events;
using Herald.Storage;

namespace Herald.Delivery;

/// <summary>SQL for deliveries and attempts: leasing due work, writing outcomes in batches, the delivery log, retries.</summary>
public sealed class DeliveryStore(Db db, TimeProvider time)
{
    private string AttemptRows => field ??= db.JsonRows("rows", ("delivery_id", "text"), ("number", "int"), ("project_id", "text"),
        ("destination_id", "text"), ("started_at", "bigint"), ("duration_ms", "int"), ("status_code", "int"), ("outcome", "text"),
        ("response_body", "text"));

    private string StateRows => field ??= db.JsonRows("rows", ("id", "text"), ("status", "text"), ("attempts", "int"),
        ("next_attempt_at", "bigint"), ("outcome", "text"), ("status_code", "int"), ("completed_at", "bigint"));

    private const string Columns = """
        d.id AS Id, d.project_id AS ProjectId, d.event_id AS EventId, d.destination_id AS DestinationId, d.status AS Status,
        d.attempts AS Attempts, d.next_attempt_at AS NextAttemptAt, d.last_outcome AS LastOutcome, d.last_status_code AS LastStatusCode,
        d.created_at AS CreatedAt, d.updated_at AS UpdatedAt, d.completed_at AS CompletedAt, e.type AS EventType
        """;

    /// <summary>
    /// Leases up to <paramref name="take"/> due deliveries for <paramref name="node"/>, at most <paramref name="headroom"/>(destination)
    /// per destination, skipping destinations this node is already saturating. Candidates are read and leased in one
    /// transaction; PostgreSQL locks them with FOR UPDATE SKIP LOCKED, so nodes never claim the same row; SQLite has one writer.
    /// </summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(string node, int take, IReadOnlyCollection<string> busyDestinations,
        Func<string, int> headroom, TimeSpan lease, CancellationToken ct)
    {
        var now = time.NowMs();
        var skipLocked = db.Kind == StoreKind.Postgres ? "FOR UPDATE SKIP LOCKED" : "";
        var busyFilter = busyDestinations.Count > 0 ? "AND " + db.NotIn("destination_id", "busy") : "";
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        var (connection, tx) = (scope.Connection, scope.Transaction);
        var candidates = await connection.QueryAsync<(string Id, string DestinationId)>(new CommandDefinition($"""
            SELECT id, destination_id FROM deliveries
            WHERE status = 'pending' AND next_attempt_at <= @now AND (lease_expires_at IS NULL OR lease_expires_at < @now) {busyFilter}
            ORDER BY next_attempt_at LIMIT @scan {skipLocked}
            """, new { now, scan = take * 4, busy = db.List(busyDestinations) }, tx, cancellationToken: ct));

        var picked = new List<string>(take);
        var perDestination = new Dictionary<string, int>();
        foreach (var (id, destinationId) in candidates)
        {
            var taken = perDestination.GetValueOrDefault(destinationId);
            if (taken >= headroom(destinationId)) continue;
            perDestination[destinationId] = taken + 1;
            picked.Add(id);
            if (picked.Count == take) break;
        }
        if (picked.Count == 0) return [];

        var rows = await connection.QueryAsync<ClaimedDelivery>(new CommandDefinition($"""
            UPDATE deliveries SET lease_owner = @node, lease_expires_at = @expires
            WHERE {db.In("id", "picked")}
            RETURNING id AS Id, project_id AS ProjectId, event_id AS EventId, destination_id AS DestinationId, attempts AS Attempts
            """, new { node, expires = now + (long)lease.TotalMilliseconds, picked = db.List(picked) }, tx, cancellationToken: ct));
        var claimed = rows.ToList();
        await scope.CommitAsync(ct);
        return claimed;
    }

    /// <summary>Extends this node's leases on the deliveries it still has in hand (and only those).</summary>
    public async Task RenewLeasesAsync(string node, IReadOnlyCollection<string> inHand, TimeSpan lease, CancellationToken ct)
    {
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        await scope.Connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE deliveries SET lease_expires_at = @expires WHERE lease_owner = @node AND status = 'pending' AND {db.In("id", "ids")}",
            new { node, ids = db.List(inHand), expires = time.NowMs() + (long)lease.TotalMilliseconds }, scope.Transaction, cancellationToken: ct));
        await scope.CommitAsync(ct);
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
    /// Writes a batch of outcomes in one transaction: attempts, delivery states (only where this node still holds the lease),
    /// and each destination's last status and failure streak. Returns destinations that must be disabled now.
    /// </summary>
    public async Task<IReadOnlyList<DestinationRecord>> WriteOutcomesAsync(string node, IReadOnlyList<DeliveryOutcome> outcomes,
        TimeSpan disableAfter, CancellationToken ct)
    {
        var now = time.NowMs();
        await using var scope = await db.BeginWriteAsync(ct, Durability.Deferred);
        var (connection, tx) = (scope.Connection, scope.Transaction);

        // Lock order: destinations, then deliveries (as a cascading DELETE of a destination does), each by id, so writers
        // on several nodes and deletes cannot deadlock.
        var attempted = outcomes.Where(o => o.Attempted).GroupBy(o => o.Delivery.DestinationId)
            .Select(g => g.MaxBy(o => o.StartedAt)!).OrderBy(o => o.Delivery.DestinationId, StringComparer.Ordinal).ToList();
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE destinations SET last_delivery_status = @Outcome, last_delivery_at = @At,
                failing_since = CASE WHEN @Ok = 1 THEN NULL ELSE COALESCE(failing_since, @At) END
            WHERE id = @Id AND (last_delivery_at IS NULL OR last_delivery_at <= @At)
            """, attempted.Select(o => new
            {
                Id = o.Delivery.DestinationId, o.Outcome, At = o.StartedAt, Ok = o.Outcome.StartsWith("delivered_") ? 1 : 0,
            }), tx, cancellationToken: ct));

        // A delivery deleted meanwhile (its destination was removed) simply gets no attempt row.
        var attempts = outcomes.Where(o => o.Attempted).Select(o => new
        {
            delivery_id = o.Delivery.Id, number = o.Delivery.Attempts + 1, project_id = o.Delivery.ProjectId,
            destination_id = o.Delivery.DestinationId, started_at = o.StartedAt, duration_ms = o.DurationMs, status_code = o.StatusCode,
            outcome = o.Outcome, response_body = o.ResponseBody,
        }).ToList();
        if (attempts.Count > 0)
            await connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO attempts (delivery_id, number, project_id, destination_id, started_at, duration_ms, status_code, outcome, response_body)
                SELECT v.delivery_id, v.number, v.project_id, v.destination_id, v.started_at, v.duration_ms, v.status_code, v.outcome, v.response_body
                FROM {AttemptRows} WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = v.delivery_id)
                ON CONFLICT (delivery_id, number) DO NOTHING
                """, new { rows = Db.ToJsonRows(attempts) }, tx, cancellationToken: ct));

        var states = outcomes.OrderBy(o => o.Delivery.Id, StringComparer.Ordinal).Select(o => new
        {
            id = o.Delivery.Id, status = o.NewStatus, attempts = o.Delivery.Attempts + (o.Attempted ? 1 : 0),
            next_attempt_at = o.NextAttemptAt, outcome = o.Outcome, status_code = o.StatusCode,
            completed_at = o.NewStatus == DeliveryStatuses.Pending ? (long?)null : now,
        });
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE deliveries SET status = v.status, attempts = v.attempts, next_attempt_at = COALESCE(v.next_attempt_at, deliveries.next_attempt_at),
                lease_owner = NULL, lease_expires_at = NULL, last_outcome = v.outcome, last_status_code = v.status_code,
                updated_at = @now, completed_at = v.completed_at
            FROM {StateRows}
            WHERE deliveries.id = v.id AND deliveries.lease_owner = @node
            """, new { rows = Db.ToJsonRows(states), now, node }, tx, cancellationToken: ct));

        var gone = outcomes.Where(o => o.DisableDestination).Select(o => o.Delivery.DestinationId).Distinct().ToList();
        var failing = attempted.Where(o => !o.Outcome.StartsWith("delivered_")).Select(o => o.Delivery.DestinationId).ToList();
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
                """, new { now, gone = db.List(gone), failing = db.List(failing), cutoff = now - (long)disableAfter.TotalMilliseconds }, tx, cancellationToken: ct)));
        }
        await scope.CommitAsync(ct);
        return disabled;
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
                   started_at AS StartedAt, duration_ms AS DurationMs, status_code AS StatusCode, outcome AS Outcome, response_body AS ResponseBody
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
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE deliveries SET status = 'pending', next_attempt_at = @now, completed_at = NULL, updated_at = @now
            WHERE id = @id AND project_id = @projectId AND status <> 'delivered'
            """, new { projectId, id, now = time.NowMs() }, cancellationToken: ct)) > 0;
    }

    /// <summary>Re-queues every failed delivery of a destination created since <paramref name="since"/>; returns how many.</summary>
    public async Task<int> RecoverAsync(string destinationId, long since, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE deliveries SET status = 'pending', next_attempt_at = @now, completed_at = NULL, updated_at = @now
            WHERE destination_id = @destinationId AND status = 'failed' AND created_at >= @since
            """, new { destinationId, since, now = time.NowMs() }, cancellationToken: ct));
    }
}
