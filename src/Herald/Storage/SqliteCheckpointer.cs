using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Storage;

/// <summary>
/// Moves SQLite's write-ahead log into the database file in the background (a passive checkpoint, which does not block
/// writers), so a publish never pays for a checkpoint and its flush inside its own commit. SQLite's own automatic
/// checkpoint stays on as a backstop at a larger size (<see cref="Db.AutoCheckpointPages"/>).
/// </summary>
public sealed class SqliteCheckpointer(Db db, IOptions<HeraldOptions> options, ILogger<SqliteCheckpointer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (db.Kind != StoreKind.Sqlite) return;
        var every = options.Value.Storage.SqliteCheckpointInterval;
        using var timer = new PeriodicTimer(every); // wall-clock cadence: this is housekeeping, not logic
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await using var connection = await db.OpenAsync(stoppingToken);
                    await using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    await command.ExecuteNonQueryAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning("Checkpointing the SQLite log failed ({Error}); SQLite's own checkpoint still bounds it.", e.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
