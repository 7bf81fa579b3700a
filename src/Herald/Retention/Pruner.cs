using Dapper;
using Herald.Common;
using Herald.Options;
using Herald.Storage;
using Microsoft.Extensions.Options;

namespace Herald.Retention;

/// <summary>
/// Deletes what Herald no longer needs, in small transactions that let delivery run in between: finished events older
/// than the retention period (their deliveries and attempts go with them), and, on request, all of a project's data.
/// </summary>
public sealed class Pruner(Db db, IOptions<HeraldOptions> options, Delivery.DispatchLanes lanes, TimeProvider time, ILogger<Pruner> logger) : BackgroundService
{
    private RetentionOptions Settings => options.Value.Retention;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.Delivery.Worker) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var deleted = await PruneAsync(stoppingToken);
                if (deleted > 0) logger.LogInformation("Retention removed {Count} event(s) older than {Days} days with their delivery logs.", deleted, Settings.Period.TotalDays);
                await Task.Delay(Settings.Interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogWarning("Retention pass failed ({Error}); trying again next interval.", e.GetType().Name);
                await Task.Delay(Settings.Interval, time, stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>One retention pass: finished events created before now − period. Returns how many were deleted.</summary>
    public Task<int> PruneAsync(CancellationToken ct) => DeleteInBatchesAsync("""
        created_at < @cutoff AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = events.id AND d.status = 'pending')
        """, new { cutoff = time.NowMs() - (long)Settings.Period.TotalMilliseconds }, ct);

    /// <summary>
    /// Erases a project's events (stored up to now), deliveries, attempts and spend reports (its configuration and keys stay).
    /// This node's dispatcher first stops sending what is erased and cancels its sends in flight for the project, so nothing
    /// erased is sent once this returns.
    /// </summary>
    public async Task<int> EraseProjectAsync(string projectId, CancellationToken ct)
    {
        var cutoff = time.NowMs();
        lanes.Erase(projectId, cutoff);
        var events = await DeleteInBatchesAsync("project_id = @projectId AND created_at <= @cutoff", new { projectId, cutoff }, ct);
        await using var scope = await db.BeginWriteAsync(ct);
        foreach (var table in new[] { "usage_reports", "usage_cycles", "budget_alerts" })
            await scope.Connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE project_id = @projectId", new { projectId }, scope.Transaction, cancellationToken: ct));
        await scope.CommitAsync(ct);
        return events;
    }

    private async Task<int> DeleteInBatchesAsync(string condition, object parameters, CancellationToken ct)
    {
        var total = 0;
        while (true)
        {
            int deleted;
            await using (var scope = await db.BeginWriteAsync(ct))
            {
                var args = new DynamicParameters(parameters);
                args.Add("take", Settings.BatchSize);
                deleted = await scope.Connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM events WHERE id IN (SELECT id FROM events WHERE {condition} LIMIT @take)", args, scope.Transaction, cancellationToken: ct));
                await scope.CommitAsync(ct);
            }
            total += deleted;
            if (deleted < Settings.BatchSize) return total;
            await Task.Yield();
        }
    }
}
