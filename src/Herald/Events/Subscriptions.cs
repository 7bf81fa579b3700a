namespace Herald.Events;

/// <summary>Whether a destination's subscription (type patterns and optional category filter) takes an event.</summary>
public static class Subscriptions
{
    public static bool Matches(IReadOnlyList<string> patterns, IReadOnlyList<string>? categoryFilter, string type, IReadOnlyList<string> categories)
    {
        var typeMatches = false;
        foreach (var pattern in patterns)
        {
            if (pattern == "*" || pattern == type
                || (pattern.EndsWith(".*", StringComparison.Ordinal) && type.StartsWith(pattern[..^1], StringComparison.Ordinal)))
            {
                typeMatches = true;
                break;
            }
        }
        if (!typeMatches) return false;
        return categoryFilter is null || categoryFilter.Count == 0 || categories.Any(categoryFilter.Contains);
    }
}
