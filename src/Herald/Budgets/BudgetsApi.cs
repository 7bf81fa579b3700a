using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Budgets;

/// <summary>PUT/GET /v1/projects/{id}/budget and POST /v1/usage (spend reports that may trigger billing.budget.alert).</summary>
public static class BudgetsApi
{
    public const decimal MaxReport = 1_000_000m;

    public static void MapBudgets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/projects/{projectId}/budget", Get).WithTags("Budgets").RequireAuthorization().Doc("getBudget", "Get a project's budget and this cycle's spend");
        app.MapPut("/v1/projects/{projectId}/budget", Set).WithTags("Budgets").RequireAuthorization(AuthExtensions.AdminPolicy).Doc("setBudget", "Set or remove a project's monthly budget");
        app.MapPost("/v1/usage", Report).WithTags("Budgets").RequireAuthorization(AuthExtensions.ProjectKeyPolicy).Doc("reportUsage", "Report spend against the project's budget", 409).WithIdempotencyKey(200);
    }

    private static async Task<Results<Ok<BudgetResponse>, ProblemHttpResult>> Get(
        string projectId, HttpContext http, ProjectStore projects, BudgetService budgets, CancellationToken ct)
    {
        var project = Caller.From(http.User).CanRead(projectId) && Ids.IsWellFormed(projectId, "prj") ? await projects.GetAsync(projectId, ct) : null;
        return project is null ? Problems.NotFound("Project") : TypedResults.Ok(BudgetResponse.From(await budgets.ViewAsync(project, ct)));
    }

    private static async Task<Results<Ok<BudgetResponse>, ProblemHttpResult>> Set(
        string projectId, SetBudgetRequest request, HttpContext http, ProjectStore projects, BudgetService budgets, CancellationToken ct)
    {
        if (!Caller.From(http.User).CanAdminister(projectId) || !Ids.IsWellFormed(projectId, "prj")) return Problems.NotFound("Project");
        if (!request.MonthlyBudgetUsd.IsSet) return Problems.Validation("monthly_budget_usd", "is required (a number, or null to remove the budget).");
        var v = new Validation();
        ProjectsApi.CheckBudget(v, request.MonthlyBudgetUsd.Value);
        if (!v.IsValid) return v.Problem();
        var project = await projects.UpdateAsync(projectId, null, null, request.MonthlyBudgetUsd.Value, request.MonthlyBudgetUsd.Value is null, ct);
        return project is null ? Problems.NotFound("Project") : TypedResults.Ok(BudgetResponse.From(await budgets.ViewAsync(project, ct)));
    }

    private static async Task<Results<Created<UsageResponse>, ProblemHttpResult>> Report(
        UsageRequest request, HttpContext http, BudgetService budgets, CancellationToken ct)
    {
        var v = new Validation();
        if (request.AmountUsd is null) v.Add("amount_usd", "is required.");
        else if (request.AmountUsd <= 0 || request.AmountUsd > MaxReport) v.Add("amount_usd", $"must be greater than 0 and at most {MaxReport:0}.");
        else if (decimal.Round(request.AmountUsd.Value, 6) != request.AmountUsd) v.Add("amount_usd", "must have at most 6 decimal places.");
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        if (key is { Length: 0 or > 200 }) v.Add("Idempotency-Key", "must be 1-200 characters.");
        if (!v.IsValid) return v.Problem();

        var result = await budgets.ReportAsync(Caller.From(http.User).ProjectId!, request.AmountUsd!.Value, request.OccurredAt, key, ct);
        if (result.Replayed && result.Report.AmountMicros != Money.ToMicros(request.AmountUsd.Value))
            return Problems.Conflict(ProblemCodes.IdempotencyKeyReused, "The Idempotency-Key was used for a different report.",
                "A repeat with the same Idempotency-Key must carry the same amount; use a new key for a new report.", "Idempotency-Key");
        if (result.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Created($"/v1/usage/{result.Report.Id}", UsageResponse.From(result));
    }
}

public sealed record SetBudgetRequest(Optional<decimal?> MonthlyBudgetUsd);

public sealed record UsageRequest(decimal? AmountUsd, DateTimeOffset? OccurredAt);

public sealed record UsageResponse(
    string Id, string Object, string ProjectId, decimal AmountUsd, DateTime OccurredAt, string Cycle, decimal CycleSpendUsd, IReadOnlyList<int> AlertsTriggered)
{
    public static UsageResponse From(UsageResult r) => new(r.Report.Id, "usage_report", r.Report.ProjectId, Money.ToUsd(r.Report.AmountMicros),
        Clock.FromMs(r.Report.OccurredAt), r.Report.Cycle, Money.ToUsd(r.Report.CycleSpendAfterMicros), r.AlertsTriggered);
}

public sealed record BudgetResponse(
    string Object, string ProjectId, decimal? MonthlyBudgetUsd, string Cycle, decimal CycleSpendUsd, decimal? PercentUsed,
    IReadOnlyList<ThresholdResponse> Thresholds)
{
    public static BudgetResponse From(BudgetView view)
    {
        var budget = view.Project.Budget;
        var spend = Money.ToUsd(view.SpendMicros);
        return new BudgetResponse("budget", view.Project.Id, budget, view.Cycle, spend,
            budget is null ? null : decimal.Round(spend * 100 / budget.Value, 1),
            BudgetService.Thresholds.Select(pct =>
            {
                var alerted = view.Alerts.TryGetValue(pct, out var alert);
                return new ThresholdResponse(pct, budget is null ? null : budget.Value * pct / 100, view.Crossed(pct), alerted,
                    alerted ? Clock.FromMs(alert.CreatedAt) : null, alerted ? alert.EventId : null);
            }).ToList());
    }
}

/// <summary>
/// One threshold: <c>crossed</c> — this cycle's spend has reached it under the current budget; <c>alerted</c> — its alert was
/// already sent this cycle (alerts are sent once per threshold per cycle, so raising the budget can leave one alerted but not crossed).
/// </summary>
public sealed record ThresholdResponse(int ThresholdPct, decimal? AmountUsd, bool Crossed, bool Alerted, DateTime? AlertedAt, string? EventId);
