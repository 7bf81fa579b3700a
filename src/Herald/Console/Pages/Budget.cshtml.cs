using System.Globalization;
using Herald.Budgets;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class BudgetModel(ProjectStore projects, BudgetService budgets) : ConsolePage
{
    public BudgetView? View { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => View = await budgets.ViewAsync((await projects.GetAsync(ProjectId, ct))!, ct);

    public async Task<IActionResult> OnPostAsync(string? amount, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        decimal? value = null;
        var v = new Validation();
        if (!string.IsNullOrWhiteSpace(amount))
        {
            if (decimal.TryParse(amount.Trim().TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed)) value = parsed;
            else v.Add("monthly_budget_usd", "must be a number such as 50 or 49.99.");
        }
        if (v.IsValid) ProjectsApi.CheckBudget(v, value);
        if (!v.IsValid)
        {
            ShowProblem(v.Problem());
            await OnGetAsync(ct);
            return Page();
        }
        await projects.UpdateAsync(ProjectId, null, null, value, value is null, ct);
        Flash(value is null ? "The budget was removed." : $"The monthly budget is now {value:$#,##0.00}.");
        return SeeOther();
    }
}
