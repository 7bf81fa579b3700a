using Dapper;
using Herald.Common;
using Herald.Delivery;
using Herald.Storage;

namespace Herald.WebConsole;

/// <summary>The console's read-only queries over deliveries: the log, one cursor page at a time, and the hourly chart, both filterable.</summary>
public sealed class DeliveryLog(Db db)
{
    public const int PageSize = 100;

    private const string Columns = """
        d.id AS Id, d.project_id AS ProjectId, d.event_id AS EventId, d.destination_id AS DestinationId, d.status AS Status,
        d.attempts AS Attempts, d.next_attempt_at AS NextAttemptAt, d.last_outcome AS LastOutcome, d.last_status_code AS LastStatusCode,
        d.created_at AS CreatedAt, d.updated_at AS UpdatedAt, d.completed_at AS CompletedAt, e.type AS EventType
        """;

    /// <summary>
    /// A project's deliveries, newest first, optionally for one destination, status, event, event type, and creation time range
    /// [<paramref name="from"/>, <paramref name="to"/>) in ms; <paramref name="cursor"/> continues a page (pages go on without a cap).
    /// </summary>
    public async Task<Page<DeliveryRecord>> PageAsync(string projectId, string? destinationId, string? status, string? eventId, string? cursor,
        CancellationToken ct, string? eventType = null, long? from = null, long? to = null)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<DeliveryRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM deliveries d JOIN events e ON e.id = d.event_id
            WHERE d.project_id = @projectId AND (@destinationId IS NULL OR d.destination_id = @destinationId)
              AND (@status IS NULL OR d.status = @status) AND (@eventId IS NULL OR d.event_id = @eventId)
              AND (@eventType IS NULL OR e.type = @eventType)
              AND (@hasFrom = 0 OR d.created_at >= @from) AND (@hasTo = 0 OR d.created_at < @to)
              AND (@after = 0 OR d.created_at < @afterAt OR (d.created_at = @afterAt AND d.id < @afterId))
            ORDER BY d.created_at DESC, d.id DESC LIMIT @take
            """, new
            {
                projectId, destinationId, status, eventId, eventType, hasFrom = from is null ? 0 : 1, from = from ?? 0, hasTo = to is null ? 0 : 1,
                to = to ?? 0, after = after ? 1 : 0, afterAt, afterId, take = PageSize + 1,
            },
            cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, PageSize, d => Cursor.Encode(d.CreatedAt, d.Id));
    }

    /// <summary>Attempts per hour since <paramref name="since"/>, of one destination or all: (hour start in ms, delivered, failed).</summary>
    public async Task<IReadOnlyList<(long Hour, long Delivered, long Failed)>> HourlyAsync(string projectId, string? destinationId, long since,
        CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<(long Hour, long Delivered, long Failed)>(new CommandDefinition("""
            SELECT (started_at / 3600000) * 3600000 AS hour,
                   SUM(CASE WHEN outcome LIKE 'delivered%' THEN 1 ELSE 0 END) AS delivered,
                   SUM(CASE WHEN outcome LIKE 'delivered%' THEN 0 ELSE 1 END) AS failed
            FROM attempts WHERE project_id = @projectId AND started_at >= @since AND (@destinationId IS NULL OR destination_id = @destinationId)
            GROUP BY (started_at / 3600000) * 3600000
            """, new { projectId, destinationId, since }, cancellationToken: ct));
        return rows.ToList();
    }
}
