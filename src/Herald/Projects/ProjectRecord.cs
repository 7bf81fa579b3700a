namespace Herald.Projects;

public sealed record ProjectRecord(string Id, string Name, string Plan, string? MonthlyBudgetUsd, long CreatedAt, long UpdatedAt)
{
    public decimal? Budget => MonthlyBudgetUsd is null ? null : decimal.Parse(MonthlyBudgetUsd, System.Globalization.CultureInfo.InvariantCulture);
}
