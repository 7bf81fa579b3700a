using Dapper;
using Herald.Storage;

namespace Herald.WebConsole;

/// <summary>
/// The console's Health page, read from the store (no metrics pipeline needed): per destination, deliveries created in the last
/// hour and day with their success rate, attempt duration percentiles over the day, and the pending and retrying backlog.
/// Every query walks an index range of the listed destinations (deliveries by destination and creation time, attempts by
/// destination and start time, pending deliveries by destination).
/// </summary>
public sealed class HealthView(Db db)
{
    public const long HourMs = 3_600_000L;
    public const long DayMs = 24 * HourMs;

    /// <summary>Counts for one destination.</summary>
    public sealed record Row
    {
        public required string DestinationId { get; init; }
        public long Hour { get; init; }
        public long HourDelivered { get; init; }
        public long HourFailed { get; init; }
        public long Day { get; init; }
        public long DayDelivered { get; init; }
        public long DayFailed { get; init; }
        public long Pending { get; init; }
        public long Retrying { get; init; }
        public int? P50Ms { get; init; }
        public int? P95Ms { get; init; }

        /// <summary>Delivered out of finished (delivered or failed) deliveries; null when none finished.</summary>
        public static double? Rate(long delivered, long failed) => delivered + failed == 0 ? null : (double)delivered / (delivered + failed);
    }

    public async Task<Dictionary<string, Row>> ForAsync(IReadOnlyCollection<string> destinationIds, long now, CancellationToken ct)
    {
        var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
        if (destinationIds.Count == 0) return rows;
        await using var connection = await db.OpenAsync(ct);
        var ids = db.List(destinationIds);
        var (hourAgo, dayAgo) = (now - HourMs, now - DayMs);

        var windows = await connection.QueryAsync<(string Id, long Hour, long HourDelivered, long HourFailed, long Day, long DayDelivered, long DayFailed)>(
            new CommandDefinition($"""
                SELECT destination_id,
                       SUM(CASE WHEN created_at >= @hourAgo THEN 1 ELSE 0 END),
                       SUM(CASE WHEN created_at >= @hourAgo AND status = 'delivered' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN created_at >= @hourAgo AND status = 'failed' THEN 1 ELSE 0 END),
                       COUNT(*),
                       SUM(CASE WHEN status = 'delivered' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END)
                FROM deliveries WHERE {db.In("destination_id", "ids")} AND created_at >= @dayAgo
                GROUP BY destination_id
                """, new { ids, hourAgo, dayAgo }, cancellationToken: ct));
        var backlog = (await connection.QueryAsync<(string Id, long Pending, long Retrying)>(new CommandDefinition($"""
            SELECT destination_id, SUM(CASE WHEN attempts = 0 THEN 1 ELSE 0 END), SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END)
            FROM deliveries WHERE {db.In("destination_id", "ids")} AND status = 'pending'
            GROUP BY destination_id
            """, new { ids }, cancellationToken: ct))).ToDictionary(b => b.Id);
        var attempted = (await connection.QueryAsync<(string Id, long Count)>(new CommandDefinition($"""
            SELECT destination_id, COUNT(*) FROM attempts WHERE {db.In("destination_id", "ids")} AND started_at >= @dayAgo GROUP BY destination_id
            """, new { ids, dayAgo }, cancellationToken: ct))).ToDictionary(a => a.Id, a => a.Count);

        foreach (var id in destinationIds) rows[id] = new Row { DestinationId = id };
        foreach (var w in windows)
            rows[w.Id] = rows[w.Id] with
            {
                Hour = w.Hour, HourDelivered = w.HourDelivered, HourFailed = w.HourFailed,
                Day = w.Day, DayDelivered = w.DayDelivered, DayFailed = w.DayFailed,
            };
        foreach (var (id, b) in backlog) rows[id] = rows[id] with { Pending = b.Pending, Retrying = b.Retrying };
        foreach (var (id, count) in attempted)
        {
            rows[id] = rows[id] with
            {
                P50Ms = await PercentileAsync(connection, id, dayAgo, count, 0.50, ct),
                P95Ms = await PercentileAsync(connection, id, dayAgo, count, 0.95, ct),
            };
        }
        return rows;
    }

    /// <summary>Nearest-rank percentile of a destination's attempt durations since <paramref name="since"/>.</summary>
    private static async Task<int?> PercentileAsync(System.Data.Common.DbConnection connection, string id, long since, long count, double p,
        CancellationToken ct)
    {
        var rank = Math.Max(0, (long)Math.Ceiling(p * count) - 1);
        return await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition("""
            SELECT duration_ms FROM attempts WHERE destination_id = @id AND started_at >= @since ORDER BY duration_ms LIMIT 1 OFFSET @rank
            """, new { id, since, rank }, cancellationToken: ct));
    }
}
