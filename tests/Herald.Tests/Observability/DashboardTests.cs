using System.Text.Json;
using System.Text.RegularExpressions;

namespace Herald.Tests.Observability;

/// <summary>The Grafana dashboard in docs/ is valid JSON and queries only metrics docs/observability.md documents.</summary>
public sealed partial class DashboardTests
{
    [Fact]
    public void The_dashboard_queries_only_documented_metrics()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Herald.slnx"))) root = root.Parent;
        Assert.NotNull(root);
        var docs = File.ReadAllText(Path.Combine(root!.FullName, "docs", "observability.md"));
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(root.FullName, "docs", "grafana-dashboard.json"))).RootElement;

        var expressions = dashboard.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!).ToList();
        Assert.True(expressions.Count >= 10);
        var named = expressions.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).Distinct().ToList();
        Assert.NotEmpty(named);
        foreach (var metric in named)
        {
            // A histogram's series are documented under its base name.
            var documented = Regex.Replace(metric, "_(bucket|count|sum)$", "");
            Assert.True(docs.Contains($"`{documented}`", StringComparison.Ordinal) || docs.Contains($"`{documented}_total`", StringComparison.Ordinal)
                || docs.Contains($"({documented})", StringComparison.Ordinal) || docs.Contains($"`{documented}", StringComparison.Ordinal),
                $"{metric} is not documented in docs/observability.md");
        }
    }

    [GeneratedRegex(@"herald_[a-z_]+")]
    private static partial Regex MetricName();
}
