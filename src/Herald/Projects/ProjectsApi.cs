using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Keys;
using Herald.Options;
using Herald.Portal;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Projects;

/// <summary>
/// /v1/projects: the operator creates and changes projects; a project key sees only its own project, and its admin key may change
/// the project's customer portal settings (docs/portal.md).
/// </summary>
public static class ProjectsApi
{
    public const int MaxNameLength = 100;
    public const decimal MaxBudget = 1_000_000_000m;

    public static RouteGroupBuilder MapProjects(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/projects").WithTags("Projects").RequireAuthorization();
        group.MapPost("/", Create).RequireAuthorization(AuthExtensions.OperatorPolicy).Doc("createProject", "Create a project");
        group.MapGet("/", List).Doc("listProjects", "List projects");
        group.MapGet("/{projectId}", Get).Doc("getProject", "Get a project");
        group.MapPatch("/{projectId}", Update).RequireAuthorization(AuthExtensions.AdminPolicy).Doc("updateProject", "Change a project's name, plan, budget or portal settings");
        return group;
    }

    private static async Task<Results<Created<ProjectResponse>, ProblemHttpResult>> Create(
        CreateProjectRequest request, ProjectStore projects, PlanCatalog plans, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.Required("name", request.Name, MaxNameLength);
        var plan = CheckPlan(v, request.Plan, plans) ?? plans.DefaultPlan;
        CheckBudget(v, request.MonthlyBudgetUsd);
        if (!v.IsValid) return v.Problem();

        var project = await projects.CreateAsync(name!, plan, request.MonthlyBudgetUsd, ct: ct);
        return TypedResults.Created($"/v1/projects/{project.Id}", ProjectResponse.From(project, plans));
    }

    private static async Task<Ok<ListResponse<ProjectResponse>>> List(
        HttpContext http, ProjectStore projects, PlanCatalog plans, string? cursor, int? limit, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!caller.IsOperator)
        {
            var own = await projects.GetAsync(caller.ProjectId!, ct);
            return TypedResults.Ok(new ListResponse<ProjectResponse>("list", own is null ? [] : [ProjectResponse.From(own, plans)], false, null));
        }
        var page = await projects.ListAsync(cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<ProjectResponse>.From(page, p => ProjectResponse.From(p, plans)));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Get(
        string projectId, HttpContext http, ProjectStore projects, PlanCatalog plans, PortalStore portal, CancellationToken ct)
    {
        var project = Caller.From(http.User).CanRead(projectId) && Ids.IsWellFormed(projectId, "prj")
            ? await projects.GetAsync(projectId, ct)
            : null;
        return project is null ? Problems.NotFound("Project")
            : TypedResults.Ok(ProjectResponse.From(project, plans, await portal.GetSettingsAsync(project.Id, ct)));
    }

    private static async Task<Results<Ok<ProjectResponse>, ProblemHttpResult>> Update(
        string projectId, UpdateProjectRequest request, HttpContext http, ProjectStore projects, PlanCatalog plans, PortalStore portal,
        IOptions<HeraldOptions> options, CancellationToken ct)
    {
        var caller = Caller.From(http.User);
        if (!Ids.IsWellFormed(projectId, "prj") || !caller.CanAdminister(projectId)) return Problems.NotFound("Project");
        // A project's admin key changes its portal; its name, plan and budget are the operator's.
        if (!caller.IsOperator && (request.Name is not null || request.Plan is not null || request.MonthlyBudgetUsd.IsSet))
            return Problems.Result(RoleProblemHandler.Create(caller.Role, [Roles.Operator]));
        var v = new Validation();
        var name = v.Text("name", request.Name, MaxNameLength);
        var plan = CheckPlan(v, request.Plan, plans);
        var budget = request.MonthlyBudgetUsd;
        if (budget.IsSet) CheckBudget(v, budget.Value);
        var current = request.Portal.IsSet ? await portal.GetSettingsAsync(projectId, ct) : PortalSettings.None;
        var portalSettings = PortalApi.Merge(v, current, request.Portal, options.Value.Delivery.AllowHttp);
        if (!v.IsValid) return v.Problem();

        var updated = await projects.UpdateAsync(projectId, name, plan, budget.Value, budget.IsSet && budget.Value is null, ct);
        if (updated is null) return Problems.NotFound("Project");
        if (portalSettings is not null) await portal.SaveSettingsAsync(projectId, portalSettings, ct);
        return TypedResults.Ok(ProjectResponse.From(updated, plans, portalSettings ?? await portal.GetSettingsAsync(projectId, ct)));
    }

    private static string? CheckPlan(Validation v, string? plan, PlanCatalog plans)
    {
        if (plan is null) return null;
        var normalized = plan.Trim().ToLowerInvariant();
        if (plans.Exists(normalized)) return normalized;
        v.Add("plan", $"must be one of: {string.Join(", ", plans.Names)}.");
        return null;
    }

    internal static void CheckBudget(Validation v, decimal? budget)
    {
        if (budget is null) return;
        if (budget <= 0 || budget > MaxBudget) v.Add("monthly_budget_usd", $"must be greater than 0 and at most {MaxBudget:0}.");
        else if (decimal.Round(budget.Value, 4) != budget) v.Add("monthly_budget_usd", "must have at most 4 decimal places.");
    }
}
