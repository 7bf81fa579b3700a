using Herald.Common;
using Herald.Options;

namespace Herald.Projects;

public sealed record CreateProjectRequest(string? Name, string? Plan, decimal? MonthlyBudgetUsd);

/// <summary>Omitted fields stay unchanged; "monthly_budget_usd": null removes the budget.</summary>
public sealed record UpdateProjectRequest(string? Name, string? Plan, Optional<decimal?> MonthlyBudgetUsd);

public sealed record ProjectResponse(
    string Id, string Object, string Name, string Plan, int? ConnectorLimit, decimal? MonthlyBudgetUsd, DateTime CreatedAt)
{
    public static ProjectResponse From(ProjectRecord p, PlanCatalog plans) =>
        new(p.Id, "project", p.Name, p.Plan, plans.ConnectorLimit(p.Plan), p.Budget, Clock.FromMs(p.CreatedAt));
}

public sealed record ListResponse<T>(string Object, IReadOnlyList<T> Data, bool HasMore, string? NextCursor)
{
    public static ListResponse<T> From<TRecord>(Page<TRecord> page, Func<TRecord, T> map) =>
        new("list", page.Data.Select(map).ToList(), page.HasMore, page.NextCursor);
}
