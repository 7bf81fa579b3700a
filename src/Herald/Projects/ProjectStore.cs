using System.Data.Common;
using System.Globalization;
using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Projects;

/// <summary>Projects (tenants): name, plan, monthly budget.</summary>
public sealed class ProjectStore(Db db, TimeProvider time)
{
    private const string Columns =
        "id AS Id, name AS Name, plan AS Plan, monthly_budget_usd AS MonthlyBudgetUsd, created_at AS CreatedAt, updated_at AS UpdatedAt";

    public async Task<ProjectRecord> CreateAsync(string name, string plan, decimal? budget,
        DbConnection? connection = null, DbTransaction? tx = null, CancellationToken ct = default)
    {
        var now = time.NowMs();
        var project = new ProjectRecord(Ids.New("prj"), name, plan, FormatBudget(budget), now, now);
        const string sql = """
            INSERT INTO projects (id, name, plan, monthly_budget_usd, created_at, updated_at)
            VALUES (@Id, @Name, @Plan, @MonthlyBudgetUsd, @CreatedAt, @UpdatedAt)
            """;
        if (connection is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, project, tx, cancellationToken: ct));
        }
        else
        {
            await using var own = await db.OpenAsync(ct);
            await own.ExecuteAsync(new CommandDefinition(sql, project, cancellationToken: ct));
        }
        return project;
    }

    public async Task<ProjectRecord?> GetAsync(string id, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ProjectRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM projects WHERE id = @id", new { id }, cancellationToken: ct));
    }

    public async Task<Page<ProjectRecord>> ListAsync(string? cursor, int limit, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<ProjectRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM projects
            WHERE (@after = 0 OR created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
            ORDER BY created_at, id LIMIT @take
            """, new { after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, p => Cursor.Encode(p.CreatedAt, p.Id));
    }

    /// <summary>Applies the given changes (null = unchanged; clearBudget removes the budget). Returns null when the project does not exist.</summary>
    public async Task<ProjectRecord?> UpdateAsync(string id, string? name, string? plan, decimal? budget, bool clearBudget, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE projects SET
                name = COALESCE(@name, name),
                plan = COALESCE(@plan, plan),
                monthly_budget_usd = CASE WHEN @clearBudget = 1 THEN NULL ELSE COALESCE(@budget, monthly_budget_usd) END,
                updated_at = @now
            WHERE id = @id
            """, new { id, name, plan, budget = FormatBudget(budget), clearBudget = clearBudget ? 1 : 0, now = time.NowMs() }, cancellationToken: ct));
        return changed == 0 ? null : await GetAsync(id, ct);
    }

    public async Task<int> CountAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct = default) =>
        await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM projects", transaction: tx, cancellationToken: ct));

    private static string? FormatBudget(decimal? budget) => budget?.ToString("0.00##", CultureInfo.InvariantCulture);
}
