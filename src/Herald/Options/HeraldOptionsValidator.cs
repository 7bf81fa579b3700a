using Microsoft.Extensions.Options;

namespace Herald.Options;

/// <summary>Checks settings at start so a bad value fails fast with a message naming the setting.</summary>
public sealed class HeraldOptionsValidator : IValidateOptions<HeraldOptions>
{
    public const int MinimumBootstrapKeyLength = 24;

    public ValidateOptionsResult Validate(string? name, HeraldOptions o)
    {
        var errors = new List<string>();

        if (string.IsNullOrWhiteSpace(o.DataDirectory))
            errors.Add("Herald:DataDirectory must not be empty.");

        var provider = o.Storage.Provider?.Trim().ToLowerInvariant();
        if (provider is not ("sqlite" or "postgres"))
            errors.Add($"Herald:Storage:Provider must be 'sqlite' or 'postgres' (got '{o.Storage.Provider}').");
        if (provider == "postgres" && string.IsNullOrWhiteSpace(o.Storage.ConnectionString))
            errors.Add("Herald:Storage:ConnectionString is required when Herald:Storage:Provider is 'postgres'.");

        CheckBootstrapKey(errors, "Herald:Bootstrap:AdminKey", o.Bootstrap.AdminKey);
        CheckBootstrapKey(errors, "Herald:Bootstrap:OperatorKey", o.Bootstrap.OperatorKey);
        if (!string.IsNullOrEmpty(o.Bootstrap.AdminKey) && o.Bootstrap.AdminKey == o.Bootstrap.OperatorKey)
            errors.Add("Herald:Bootstrap:AdminKey and Herald:Bootstrap:OperatorKey must differ.");

        foreach (var (plan, limit) in o.Plans)
        {
            if (!PlanCatalog.IsValidPlanName(plan))
                errors.Add($"Herald:Plans:{plan} is not a valid plan name (lowercase letters, digits, '-' and '_').");
            if (!PlanCatalog.TryParseLimit(limit, out _))
                errors.Add($"Herald:Plans:{plan} must be a non-negative whole number or 'unlimited' (got '{limit}').");
        }
        if (!o.Plans.ContainsKey(o.DefaultPlan ?? ""))
            errors.Add($"Herald:DefaultPlan '{o.DefaultPlan}' is not one of Herald:Plans ({string.Join(", ", o.Plans.Keys)}).");

        if (!o.Plans.ContainsKey(o.Bootstrap.Plan ?? ""))
            errors.Add($"Herald:Bootstrap:Plan '{o.Bootstrap.Plan}' is not one of Herald:Plans ({string.Join(", ", o.Plans.Keys)}).");

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckBootstrapKey(List<string> errors, string setting, string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        if (value.Length < MinimumBootstrapKeyLength || value.Length > 200)
            errors.Add($"{setting} must be between {MinimumBootstrapKeyLength} and 200 characters long.");
        else if (value.Any(c => c <= ' ' || c > '~'))
            errors.Add($"{setting} must contain only printable ASCII characters without spaces.");
    }
}
