using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Herald.Options;

/// <summary>The configured plans and their connector limits (null limit = unlimited).</summary>
public sealed partial class PlanCatalog(IOptions<HeraldOptions> options)
{
    private readonly Dictionary<string, int?> _limits = options.Value.Plans.ToDictionary(
        p => p.Key.ToLowerInvariant(),
        p => TryParseLimit(p.Value, out var limit) ? limit : 0);

    public string DefaultPlan { get; } = options.Value.DefaultPlan.ToLowerInvariant();

    public IReadOnlyCollection<string> Names => _limits.Keys;

    public bool Exists(string plan) => _limits.ContainsKey(plan);

    /// <summary>Maximum number of destinations a project on this plan may have; null means unlimited.</summary>
    public int? ConnectorLimit(string plan) => _limits.TryGetValue(plan, out var limit) ? limit : 0;

    public static bool TryParseLimit(string? value, out int? limit)
    {
        limit = null;
        if (string.Equals(value?.Trim(), "unlimited", StringComparison.OrdinalIgnoreCase)) return true;
        if (int.TryParse(value, out var n) && n >= 0) { limit = n; return true; }
        return false;
    }

    public static bool IsValidPlanName(string name) => PlanName().IsMatch(name);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,31}$", RegexOptions.IgnoreCase)]
    private static partial Regex PlanName();
}
