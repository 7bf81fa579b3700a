using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Storage;

/// <summary>
/// Moves SQLite's write-ahead log into the database file in the background (a passive checkpoint, which does not block
/// writers), so a publish never pays for a checkpoint and its flush inside its own commit. SQLite's own automatic
/// checkpoint stays on as a backstop at a larger size (<see cref="Db.AutoCheckpointPages"/>).
/// <para>
/// A checkpoint that fails (a full disk: the database file has no room to take the log's pages) is tried again at the
/// next tick; once one succeeds after a failure, the log is truncated so the space it grew into is given back.
/// </para>
/// </summary>
public sealed class SqliteCheckpointer(Db db, IOptions<HeraldOptions> options, StorageFaultLog faults, ILogger<SqliteCheckpointer> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (db.Kind != StoreKind.Sqlite) return;
        var every = options.Value.Storage.SqliteCheckpointInterval;
        using var timer = new PeriodicTimer(every); // wall-clock cadence: this is housekeeping, not logic
        var failed = false;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var complete = await db.CheckpointSqliteAsync(truncate: failed, stoppingToken);
                    if (failed && complete)
                    {
                        failed = false;
                        logger.LogInformation("The SQLite log was checkpointed and truncated again after a storage fault.");
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    failed = true;
                    faults.Report("checkpoint(s) of the SQLite log failed", StorageFault.Classify(e) ?? e.GetType().Name, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
