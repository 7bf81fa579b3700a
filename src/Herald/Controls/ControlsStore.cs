using System.Data.Common;
using Dapper;
using Herald.Storage;

namespace Herald.Controls;

/// <summary>SQL for destination_controls: one row per destination that has any control set (deleted with its destination).</summary>
public sealed class ControlsStore(Db db)
{
    public const string Columns = """
        destination_id AS DestinationId, project_id AS ProjectId, filter AS Filter, retry_schedule AS RetrySchedule,
        timeout_ms AS TimeoutMs, rate_limit AS RateLimit, rate_period_ms AS RatePeriodMs, ordering AS Ordering, template AS Template,
        updated_at AS UpdatedAt
        """;

    public async Task<DestinationControls?> GetAsync(string destinationId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DestinationControls>(new CommandDefinition(
            $"SELECT {Columns} FROM destination_controls WHERE destination_id = @destinationId", new { destinationId }, cancellationToken: ct));
    }

    public async Task<Dictionary<string, DestinationControls>> GetManyAsync(IReadOnlyCollection<string> destinationIds, CancellationToken ct)
    {
        if (destinationIds.Count == 0) return [];
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<DestinationControls>(new CommandDefinition(
                $"SELECT {Columns} FROM destination_controls WHERE {db.In("destination_id", "ids")}", new { ids = db.List(destinationIds) },
                cancellationToken: ct)))
            .ToDictionary(c => c.DestinationId);
    }

    /// <summary>Rows changed since <paramref name="since"/> (store of every node's saves; for the senders' cache).</summary>
    public async Task<IReadOnlyList<DestinationControls>> ChangedSinceAsync(long since, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        return (await connection.QueryAsync<DestinationControls>(new CommandDefinition(
            $"SELECT {Columns} FROM destination_controls WHERE updated_at >= @since", new { since }, cancellationToken: ct))).ToList();
    }

    /// <summary>Writes a destination's controls (inside the caller's transaction when given).</summary>
    public async Task SaveAsync(DestinationControls c, CancellationToken ct, DbConnection? connection = null, DbTransaction? tx = null)
    {
        const string sql = """
            INSERT INTO destination_controls (destination_id, project_id, filter, retry_schedule, timeout_ms, rate_limit, rate_period_ms,
                ordering, template, updated_at)
            VALUES (@DestinationId, @ProjectId, @Filter, @RetrySchedule, @TimeoutMs, @RateLimit, @RatePeriodMs, @Ordering, @Template, @UpdatedAt)
            ON CONFLICT (destination_id) DO UPDATE SET filter = excluded.filter,
                retry_schedule = excluded.retry_schedule, timeout_ms = excluded.timeout_ms, rate_limit = excluded.rate_limit,
                rate_period_ms = excluded.rate_period_ms, ordering = excluded.ordering, template = excluded.template, updated_at = excluded.updated_at,
                rate_next_at = CASE WHEN COALESCE(destination_controls.rate_limit, -1) <> COALESCE(excluded.rate_limit, -1)
                    OR COALESCE(destination_controls.rate_period_ms, -1) <> COALESCE(excluded.rate_period_ms, -1)
                    THEN NULL ELSE destination_controls.rate_next_at END
            """;
        if (connection is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, c, tx, cancellationToken: ct));
            return;
        }
        await using var own = await db.OpenAsync(ct);
        await own.ExecuteAsync(new CommandDefinition(sql, c, cancellationToken: ct));
    }
}
