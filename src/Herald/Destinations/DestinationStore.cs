using System.Data.Common;
using Dapper;
using Herald.Common;
using Herald.Storage;
using Npgsql;

namespace Herald.Destinations;

/// <summary>SQL for the destinations table, the one model behind every connector, webhook and installation.</summary>
public sealed class DestinationStore(Db db, TimeProvider time)
{
    public const string Columns = """
        id AS Id, project_id AS ProjectId, kind AS Kind, payload_style AS PayloadStyle, name AS Name, url_sealed AS UrlSealed,
        url_fingerprint AS UrlFingerprint, destination_host AS DestinationHost, url_visible_to_owner AS UrlVisibleToOwner,
        provider_slot AS ProviderSlot, settings AS Settings, http_method AS HttpMethod,
        headers_sealed AS HeadersSealed, signing_secret_sealed AS SigningSecretSealed,
        previous_secret_sealed AS PreviousSecretSealed, previous_secret_expires_at AS PreviousSecretExpiresAt,
        event_types AS EventTypes, categories AS Categories, status AS Status, last_delivery_status AS LastDeliveryStatus,
        last_delivery_at AS LastDeliveryAt, created_at AS CreatedAt, updated_at AS UpdatedAt, failing_since AS FailingSince,
        circuit_state AS CircuitState, circuit_reopens_at AS CircuitReopensAt, circuit_opens AS CircuitOpens
        """;

    /// <summary>
    /// Inserts the destination unless the project already has <paramref name="limit"/> of them (null = no limit).
    /// Count and insert happen in one transaction that serialises per project, so racing installs cannot exceed the plan.
    /// </summary>
    public async Task<bool> InsertWithinLimitAsync(DestinationRecord d, int? limit, CancellationToken ct,
        Func<DbConnection, DbTransaction, Task>? alsoWrite = null)
    {
        await using var connection = await db.OpenAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (connection is NpgsqlConnection)
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT id FROM projects WHERE id = @ProjectId FOR UPDATE", d, tx, cancellationToken: ct));
        if (limit is not null)
        {
            var count = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM destinations WHERE project_id = @ProjectId", d, tx, cancellationToken: ct));
            if (count >= limit) return false;
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO destinations (id, project_id, kind, payload_style, name, url_sealed, url_fingerprint, destination_host,
                url_visible_to_owner, provider_slot, settings, http_method, headers_sealed, signing_secret_sealed, event_types, categories,
                status, created_at, updated_at)
            VALUES (@Id, @ProjectId, @Kind, @PayloadStyle, @Name, @UrlSealed, @UrlFingerprint, @DestinationHost,
                @UrlVisibleToOwner, @ProviderSlot, @Settings, @HttpMethod, @HeadersSealed, @SigningSecretSealed, @EventTypes, @Categories,
                @Status, @CreatedAt, @UpdatedAt)
            """, d, tx, cancellationToken: ct));
        if (alsoWrite is not null) await alsoWrite(connection, tx);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<DestinationRecord?> GetAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DestinationRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM destinations WHERE id = @id AND project_id = @projectId", new { projectId, id }, cancellationToken: ct));
    }

    /// <summary>The project's destinations configured as seed 002 providers (at most one per provider slot).</summary>
    public async Task<IReadOnlyList<DestinationRecord>> ListProvidersAsync(string projectId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<DestinationRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM destinations WHERE project_id = @projectId AND provider_slot IS NOT NULL ORDER BY created_at, id",
            new { projectId }, cancellationToken: ct))).ToList();
    }

    public async Task<Page<DestinationRecord>> ListAsync(string projectId, string? kind, string? cursor, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<DestinationRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM destinations
            WHERE project_id = @projectId AND (@kind IS NULL OR kind = @kind)
              AND (@after = 0 OR created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
            ORDER BY created_at, id LIMIT @take
            """, new { projectId, kind, after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, d => Cursor.Encode(d.CreatedAt, d.Id));
    }

    private static readonly (string Column, Func<DestinationRecord, object?> Value)[] Changeable =
    [
        ("name", d => d.Name), ("url_sealed", d => d.UrlSealed), ("url_fingerprint", d => d.UrlFingerprint),
        ("destination_host", d => d.DestinationHost), ("url_visible_to_owner", d => d.UrlVisibleToOwner), ("settings", d => d.Settings),
        ("http_method", d => d.HttpMethod), ("headers_sealed", d => d.HeadersSealed),
        ("event_types", d => d.EventTypes), ("categories", d => d.Categories), ("status", d => d.Status), ("failing_since", d => d.FailingSince),
    ];

    /// <summary>
    /// Writes only the columns that differ between <paramref name="before"/> and <paramref name="after"/>, so a change does
    /// not undo what happened meanwhile (e.g. the worker disabling the destination). False when it no longer exists.
    /// </summary>
    public async Task<bool> UpdateAsync(DestinationRecord before, DestinationRecord after, CancellationToken ct)
    {
        var parameters = new DynamicParameters(new { after.Id, after.ProjectId, after.UpdatedAt });
        var sets = new List<string> { "updated_at = @UpdatedAt" };
        foreach (var (column, value) in Changeable)
        {
            if (Equals(value(before), value(after))) continue;
            sets.Add($"{column} = @{column}");
            parameters.Add(column, value(after));
        }
        // A new URL, or a destination turned back on, starts with a closed circuit: the owner says it works now.
        if (before.UrlSealed != after.UrlSealed || (before.Status != after.Status && after.Status == DestinationStatuses.Active))
            sets.Add("circuit_state = 'closed', circuit_failures = 0, circuit_opens = 0, circuit_reopens_at = NULL");
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            $"UPDATE destinations SET {string.Join(", ", sets)} WHERE id = @Id AND project_id = @ProjectId", parameters, cancellationToken: ct)) > 0;
    }

    public async Task<bool> RotateSecretAsync(string id, string secretSealed, string? previousSealed, long? previousExpiresAt, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE destinations SET signing_secret_sealed = @secretSealed, previous_secret_sealed = @previousSealed,
                previous_secret_expires_at = @previousExpiresAt, updated_at = @now
            WHERE id = @id
            """, new { id, secretSealed, previousSealed, previousExpiresAt, now = time.NowMs() }, cancellationToken: ct)) > 0;
    }

    public async Task<bool> DeleteAsync(string projectId, string id, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM destinations WHERE id = @id AND project_id = @projectId", new { projectId, id }, cancellationToken: ct)) > 0;
    }

    public async Task RecordLastDeliveryAsync(string id, string outcome, long at, CancellationToken ct, DbConnection? connection = null)
    {
        const string sql = """
            UPDATE destinations SET last_delivery_status = @outcome, last_delivery_at = @at
            WHERE id = @id AND (last_delivery_at IS NULL OR last_delivery_at <= @at)
            """;
        if (connection is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { id, outcome, at }, cancellationToken: ct));
            return;
        }
        await using var own = await db.OpenAsync(ct);
        await own.ExecuteAsync(new CommandDefinition(sql, new { id, outcome, at }, cancellationToken: ct));
    }
}
