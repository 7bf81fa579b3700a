using Herald.Common;
using Herald.Options;

namespace Herald.Projects;

public sealed record CreateProjectRequest(string? Name, string? Plan, decimal? MonthlyBudgetUsd);

/// <summary>Omitted fields stay unchanged; "monthly_budget_usd": null removes the budget; "portal" changes the customer portal.</summary>
public sealed record UpdateProjectRequest(string? Name, string? Plan, Optional<decimal?> MonthlyBudgetUsd,
    Optional<Portal.PortalSettingsRequest?> Portal);

/// <summary>A project; <c>portal</c> (its customer portal settings) is shown when one project is read or changed.</summary>
public sealed record ProjectResponse(
    string Id, string Object, string Name, string Plan, int? ConnectorLimit, decimal? MonthlyBudgetUsd, DateTime CreatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    Portal.PortalSettingsResponse? Portal = null)
{
    public static ProjectResponse From(ProjectRecord p, PlanCatalog plans, Portal.PortalSettings? portal = null) =>
        new(p.Id, "project", p.Name, p.Plan, plans.ConnectorLimit(p.Plan), p.Budget, Clock.FromMs(p.CreatedAt),
            portal is null ? null : Herald.Portal.PortalSettingsResponse.From(portal));
}

public sealed record ListResponse<T>(string Object, IReadOnlyList<T> Data, bool HasMore, string? NextCursor)
{
    public static ListResponse<T> From<TRecord>(Page<TRecord> page, Func<TRecord, T> map) =>
        new("list", page.Data.Select(map).ToList(), page.HasMore, page.NextCursor);
}
