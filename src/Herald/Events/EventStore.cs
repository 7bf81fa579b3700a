using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Events;

/// <summary>Reading stored events.</summary>
public sealed class EventStore(Db db)
{
    public const string Columns = """
        id AS Id, project_id AS ProjectId, type AS Type, title AS Title, body AS Body, data AS Data, categories AS Categories,
        occurred_at AS OccurredAt, created_at AS CreatedAt, idempotency_key AS IdempotencyKey, request_hash AS RequestHash,
        deliveries AS Deliveries, trace_parent AS TraceParent
        """;

    public async Task<EventRecord?> GetAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<EventRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM events WHERE id = @id AND project_id = @projectId", new { projectId, id }, cancellationToken: ct));
    }

    public async Task<Page<EventRecord>> ListAsync(string projectId, string? type, string? cursor, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        // Newest first: the cursor walks backwards in time.
        var rows = (await connection.QueryAsync<EventRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM events
            WHERE project_id = @projectId AND (@type IS NULL OR type = @type)
              AND (@after = 0 OR created_at < @afterAt OR (created_at = @afterAt AND id < @afterId))
            ORDER BY created_at DESC, id DESC LIMIT @take
            """, new { projectId, type, after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, e => Cursor.Encode(e.CreatedAt, e.Id));
    }
}
