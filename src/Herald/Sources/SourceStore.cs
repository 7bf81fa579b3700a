using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Sources;

/// <summary>SQL for the sources and source_receipts tables, which this feature owns.</summary>
public sealed class SourceStore(Db db)
{
    public const string Columns = """
        id AS Id, project_id AS ProjectId, kind AS Kind, name AS Name, via AS Via, token_hash AS TokenHash, token_sealed AS TokenSealed,
        secret_sealed AS SecretSealed, secret_fingerprint AS SecretFingerprint, status AS Status, last_received_at AS LastReceivedAt,
        last_event_id AS LastEventId, last_result AS LastResult, last_result_at AS LastResultAt, last_failure AS LastFailure,
        last_failure_at AS LastFailureAt, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    /// <summary>Inserts the source; false when the project already has a provider-configured source of this kind.</summary>
    public async Task<bool> InsertAsync(SourceRecord s, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sources (id, project_id, kind, name, via, token_hash, token_sealed, secret_sealed, secret_fingerprint, status, created_at, updated_at)
            VALUES (@Id, @ProjectId, @Kind, @Name, @Via, @TokenHash, @TokenSealed, @SecretSealed, @SecretFingerprint, @Status, @CreatedAt, @UpdatedAt)
            ON CONFLICT DO NOTHING
            """, s, cancellationToken: ct));
        return inserted > 0;
    }

    public async Task<SourceRecord?> GetAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE id = @id AND project_id = @projectId", new { projectId, id }, cancellationToken: ct));
    }

    public async Task<SourceRecord?> FindByTokenHashAsync(string tokenHash, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE token_hash = @tokenHash", new { tokenHash }, cancellationToken: ct));
    }

    public async Task<SourceRecord?> FindProviderSourceAsync(string projectId, string kind, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE project_id = @projectId AND kind = @kind AND via = 'provider'",
            new { projectId, kind }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<SourceRecord>> ListProviderSourcesAsync(string projectId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<SourceRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM sources WHERE project_id = @projectId AND via = 'provider'", new { projectId }, cancellationToken: ct))).ToList();
    }

    public async Task<Page<SourceRecord>> ListAsync(string projectId, string? cursor, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<SourceRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM sources
            WHERE project_id = @projectId AND (@after = 0 OR created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
            ORDER BY created_at, id LIMIT @take
            """, new { projectId, after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, s => Cursor.Encode(s.CreatedAt, s.Id));
    }

    public async Task<SourceRecord?> UpdateAsync(SourceRecord s, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sources SET name = @Name, secret_sealed = @SecretSealed, secret_fingerprint = @SecretFingerprint, status = @Status,
                updated_at = @UpdatedAt
            WHERE id = @Id AND project_id = @ProjectId
            """, s, cancellationToken: ct));
        return await GetAsync(s.ProjectId, s.Id, ct);
    }

    public async Task<bool> DeleteAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sources WHERE id = @id AND project_id = @projectId", new { projectId, id }, cancellationToken: ct)) > 0;
    }

    /// <summary>A verified, published delivery: last received time and event, and "verified" as the last result.</summary>
    public async Task RecordReceivedAsync(string id, string eventId, long now, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sources SET last_received_at = @now, last_event_id = @eventId, last_result = 'verified', last_result_at = @now WHERE id = @id
            """, new { id, eventId, now }, cancellationToken: ct));
    }

    /// <summary>A refused delivery: the reason becomes the last result and the last failure.</summary>
    public async Task RecordFailureAsync(string id, string failure, long now, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sources SET last_result = @failure, last_result_at = @now, last_failure = @failure, last_failure_at = @now WHERE id = @id
            """, new { id, failure, now }, cancellationToken: ct));
    }

    /// <summary>The event published earlier for this provider event id, if any (within the de-duplication window).</summary>
    public async Task<string?> FindReceiptAsync(string sourceId, string providerEventId, long since, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition("""
            SELECT event_id FROM source_receipts WHERE source_id = @sourceId AND provider_event_id = @providerEventId AND received_at >= @since
            """, new { sourceId, providerEventId, since }, cancellationToken: ct));
    }

    public async Task AddReceiptAsync(string sourceId, string providerEventId, string eventId, long now, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO source_receipts (source_id, provider_event_id, event_id, received_at) VALUES (@sourceId, @providerEventId, @eventId, @now)
            ON CONFLICT (source_id, provider_event_id) DO UPDATE SET event_id = excluded.event_id, received_at = excluded.received_at
            """, new { sourceId, providerEventId, eventId, now }, cancellationToken: ct));
    }

    public async Task<int> PruneReceiptsAsync(long before, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM source_receipts WHERE received_at < @before", new { before }, cancellationToken: ct));
    }
}
