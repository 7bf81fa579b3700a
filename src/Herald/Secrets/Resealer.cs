using Dapper;
using Herald.Storage;

namespace Herald.Secrets;

/// <summary>Re-seals every sealed value that is not under the current master key, in small batches, one transaction each.</summary>
public sealed class Resealer(Db db, Sealer sealer, KeyRing keys, ILogger<Resealer> logger)
{
    private const int BatchSize = 200;

    public async Task<ResealResult> ResealAsync(CancellationToken ct = default)
    {
        var resealed = 0;
        var prefix = $"v1.{keys.Current.Id}.";
        foreach (var column in SealedColumns.All)
        {
            while (true)
            {
                await using var connection = await db.OpenAsync(ct);
                await using var tx = await connection.BeginTransactionAsync(ct);
                var rows = (await connection.QueryAsync<(string Id, string Value)>(new CommandDefinition($"""
                    SELECT {column.IdColumn}, {column.ValueColumn} FROM {column.Table}
                    WHERE {column.ValueColumn} IS NOT NULL AND substr({column.ValueColumn}, 1, {prefix.Length}) <> @prefix
                    LIMIT {BatchSize}
                    """, new { prefix }, tx, cancellationToken: ct))).ToList();
                if (rows.Count == 0) break;

                foreach (var (id, value) in rows)
                {
                    var context = column.Context(id);
                    var reSealed = sealer.Seal(sealer.Open(value, context), context);
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"UPDATE {column.Table} SET {column.ValueColumn} = @reSealed WHERE {column.IdColumn} = @id AND {column.ValueColumn} = @value",
                        new { reSealed, id, value }, tx, cancellationToken: ct));
                }
                await tx.CommitAsync(ct);
                resealed += rows.Count;
            }
        }
        logger.LogInformation("Re-sealed {Count} value(s) under master key {KeyId}.", resealed, keys.Current.Id);
        return new ResealResult("reseal_result", keys.Current.Id, resealed);
    }
}

public sealed record ResealResult(string Object, string CurrentKeyId, int Resealed);
