using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Herald.Common;
using Herald.Events;
using Herald.Projects;
using Herald.Storage;

namespace Herald.Budgets;

/// <summary>
/// Monthly spend and budget-threshold alerts. Each report adds to a per-cycle running total (one row that concurrent
/// reports serialise on); every threshold the total has reached gets one row in budget_alerts — its primary key makes
/// the alert happen once per threshold per cycle however reports race — and that alert is published as an event.
/// </summary>
public sealed class BudgetService(Db db, ProjectStore projects, EventPublisher publisher, TimeProvider time, ILogger<BudgetService> logger)
{
    public static readonly int[] Thresholds = [50, 80, 100];

    public async Task<UsageResult> ReportAsync(string projectId, decimal amountUsd, DateTimeOffset? occurredAt, string? idempotencyKey, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var at = occurredAt ?? now;
        var cycle = Money.CycleOf(at);
        var amount = Money.ToMicros(amountUsd);
        UsageRow report;
        List<int> crossed = [];
        await using (var connection = await db.OpenAsync(ct))
        {
            if (idempotencyKey is not null && await FindAsync(connection, null, projectId, idempotencyKey, ct) is { } earlier)
                return new UsageResult(earlier, await AlertsOfAsync(connection, earlier, ct), Replayed: true);
            try
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                var spend = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
                    INSERT INTO usage_cycles (project_id, cycle, spend_micros) VALUES (@projectId, @cycle, @amount)
                    ON CONFLICT (project_id, cycle) DO UPDATE SET spend_micros = usage_cycles.spend_micros + excluded.spend_micros
                    RETURNING spend_micros
                    """, new { projectId, cycle, amount }, tx, cancellationToken: ct));
                report = new UsageRow(Ids.New("usg"), projectId, cycle, amount, at.ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), idempotencyKey, spend);
                await connection.ExecuteAsync(new CommandDefinition("""
                    INSERT INTO usage_reports (id, project_id, cycle, amount_micros, occurred_at, created_at, idempotency_key, cycle_spend_after_micros)
                    VALUES (@Id, @ProjectId, @Cycle, @AmountMicros, @OccurredAt, @CreatedAt, @IdempotencyKey, @CycleSpendAfterMicros)
                    """, report, tx, cancellationToken: ct));

                var budget = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                    "SELECT monthly_budget_usd FROM projects WHERE id = @projectId", new { projectId }, tx, cancellationToken: ct));
                if (budget is not null)
                {
                    var budgetMicros = Money.ToMicros(decimal.Parse(budget, System.Globalization.CultureInfo.InvariantCulture));
                    foreach (var pct in Thresholds.Where(p => spend * 100 >= budgetMicros * p))
                    {
                        var won = await connection.ExecuteAsync(new CommandDefinition("""
                            INSERT INTO budget_alerts (project_id, cycle, threshold_pct, cycle_spend_micros, budget_micros, created_at)
                            VALUES (@projectId, @cycle, @pct, @spend, @budgetMicros, @now)
                            ON CONFLICT (project_id, cycle, threshold_pct) DO NOTHING
                            """, new { projectId, cycle, pct, spend, budgetMicros, now = now.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                        if (won > 0) crossed.Add(pct);
                    }
                }
                await tx.CommitAsync(ct);
            }
            catch (DbException) when (idempotencyKey is not null)
            {
                // A racing report with the same key committed first: answer with it.
                await using var again = await db.OpenAsync(ct);
                var first = await FindAsync(again, null, projectId, idempotencyKey, ct);
                if (first is null) throw;
                return new UsageResult(first, await AlertsOfAsync(again, first, ct), Replayed: true);
            }
        }

        if (crossed.Count > 0) await PublishPendingAlertsAsync(projectId, ct);
        return new UsageResult(report, crossed, Replayed: false);
    }

    /// <summary>Publishes every alert row that has no event yet (after a report, and at start for any a crash left behind).</summary>
    public async Task PublishPendingAlertsAsync(string? projectId, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var pending = await connection.QueryAsync<AlertRow>(new CommandDefinition("""
            SELECT project_id AS ProjectId, cycle AS Cycle, threshold_pct AS ThresholdPct, cycle_spend_micros AS CycleSpendMicros
            FROM budget_alerts WHERE event_id IS NULL AND (@projectId IS NULL OR project_id = @projectId)
            ORDER BY created_at, threshold_pct
            """, new { projectId }, cancellationToken: ct));
        foreach (var alert in pending)
        {
            try
            {
                var project = await projects.GetAsync(alert.ProjectId, ct);
                if (project is null) continue;
                var spend = Money.Format(alert.CycleSpendMicros);
                var result = await publisher.PublishInternalAsync(alert.ProjectId, "billing.budget.alert",
                    $"Budget alert: {alert.ThresholdPct}% of monthly budget",
                    $"Project {project.Name} crossed {alert.ThresholdPct}% of its monthly budget (cycle spend {spend}).",
                    new JsonObject
                    {
                        ["project_id"] = alert.ProjectId,
                        ["threshold_pct"] = alert.ThresholdPct,
                        ["cycle_spend_usd"] = Money.ToUsd(alert.CycleSpendMicros),
                        ["cycle"] = alert.Cycle,
                    },
                    $"billing.budget.alert:{alert.Cycle}:{alert.ThresholdPct}", ct);
                await connection.ExecuteAsync(new CommandDefinition("""
                    UPDATE budget_alerts SET event_id = @eventId WHERE project_id = @ProjectId AND cycle = @Cycle AND threshold_pct = @ThresholdPct
                    """, new { eventId = result.Event.Id, alert.ProjectId, alert.Cycle, alert.ThresholdPct }, cancellationToken: ct));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning("Publishing the {Threshold}% budget alert of {ProjectId} failed ({Error}); it is retried at the next report or start.",
                    alert.ThresholdPct, alert.ProjectId, e.GetType().Name);
            }
        }
    }

    public async Task<BudgetView> ViewAsync(ProjectRecord project, CancellationToken ct)
    {
        var cycle = Money.CycleOf(time.GetUtcNow());
        await using var connection = await db.OpenAsync(ct);
        var spend = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT spend_micros FROM usage_cycles WHERE project_id = @Id AND cycle = @cycle", new { project.Id, cycle }, cancellationToken: ct)) ?? 0;
        var alerts = (await connection.QueryAsync<(long ThresholdPct, long CreatedAt, string? EventId)>(new CommandDefinition(
            "SELECT threshold_pct, created_at, event_id FROM budget_alerts WHERE project_id = @Id AND cycle = @cycle", new { project.Id, cycle },
            cancellationToken: ct))).ToDictionary(a => (int)a.ThresholdPct);
        return new BudgetView(project, cycle, spend, alerts.ToDictionary(a => a.Key, a => (a.Value.CreatedAt, a.Value.EventId)));
    }

    /// <summary>
    /// The alerts a stored report triggered, so a replay answers what the report first answered. An alert row records the cycle
    /// spend of the report that inserted it, in the same transaction; reports add positive amounts one after another on the cycle's
    /// row, so within a cycle that spend names exactly one report.
    /// </summary>
    private static async Task<IReadOnlyList<int>> AlertsOfAsync(DbConnection connection, UsageRow report, CancellationToken ct) =>
        (await connection.QueryAsync<int>(new CommandDefinition("""
            SELECT threshold_pct FROM budget_alerts
            WHERE project_id = @ProjectId AND cycle = @Cycle AND cycle_spend_micros = @CycleSpendAfterMicros
            ORDER BY threshold_pct
            """, report, cancellationToken: ct))).ToList();

    private static async Task<UsageRow?> FindAsync(DbConnection connection, DbTransaction? tx, string projectId, string key, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<UsageRow>(new CommandDefinition("""
            SELECT id AS Id, project_id AS ProjectId, cycle AS Cycle, amount_micros AS AmountMicros, occurred_at AS OccurredAt,
                   created_at AS CreatedAt, idempotency_key AS IdempotencyKey, cycle_spend_after_micros AS CycleSpendAfterMicros
            FROM usage_reports WHERE project_id = @projectId AND idempotency_key = @key
            """, new { projectId, key }, tx, cancellationToken: ct));

    private sealed record AlertRow
    {
        public required string ProjectId { get; init; }
        public required string Cycle { get; init; }
        public int ThresholdPct { get; init; }
        public long CycleSpendMicros { get; init; }
    }
}

public sealed record UsageRow
{
    public UsageRow() { }

    public UsageRow(string id, string projectId, string cycle, long amountMicros, long occurredAt, long createdAt, string? idempotencyKey, long cycleSpendAfterMicros)
    {
        Id = id; ProjectId = projectId; Cycle = cycle; AmountMicros = amountMicros; OccurredAt = occurredAt; CreatedAt = createdAt;
        IdempotencyKey = idempotencyKey; CycleSpendAfterMicros = cycleSpendAfterMicros;
    }

    public string Id { get; init; } = "";
    public string ProjectId { get; init; } = "";
    public string Cycle { get; init; } = "";
    public long AmountMicros { get; init; }
    public long OccurredAt { get; init; }
    public long CreatedAt { get; init; }
    public string? IdempotencyKey { get; init; }
    public long CycleSpendAfterMicros { get; init; }
}

public sealed record UsageResult(UsageRow Report, IReadOnlyList<int> AlertsTriggered, bool Replayed);

/// <summary>A project's budget this cycle. <see cref="Alerts"/> are the alerts already sent this cycle, whatever the budget is now.</summary>
public sealed record BudgetView(ProjectRecord Project, string Cycle, long SpendMicros, IReadOnlyDictionary<int, (long CreatedAt, string? EventId)> Alerts)
{
    /// <summary>Whether this cycle's spend has reached <paramref name="pct"/> % of the current budget (false without a budget).</summary>
    public bool Crossed(int pct) => Project.Budget is { } budget && SpendMicros * 100 >= Money.ToMicros(budget) * pct;
}
