using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Errors;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Foundation;

/// <summary>Every code the API can answer is a ProblemCodes constant and is in the README's error table; 403s name the role needed.</summary>
public sealed partial class ErrorCatalogTests
{
    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx"))) return dir.FullName;
        throw new InvalidOperationException("The repository root (the folder with Herald.slnx) was not found above " + AppContext.BaseDirectory);
    }

    private static HashSet<string> Constants() =>
        typeof(ProblemCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

    /// <summary>The codes in the table under "## Errors" of the README (every `code` in its second column).</summary>
    private static HashSet<string> ReadmeCodes()
    {
        var readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));
        var section = readme[readme.IndexOf("\n## Errors", StringComparison.Ordinal)..];
        section = section[..(section.IndexOf("\n## ", 1, StringComparison.Ordinal) is > 0 and var next ? next : section.Length)];
        return section.Split('\n').Where(l => l.StartsWith('|')).Select(l => l.Split('|'))
            .Where(cells => cells.Length > 3).SelectMany(cells => Code().Matches(cells[2]).Select(m => m.Groups[1].Value)).ToHashSet();
    }

    [Fact]
    public void Every_code_constant_is_in_the_readme_error_table_and_the_table_names_no_other()
    {
        var constants = Constants();
        Assert.Contains("provider_not_configured", constants);
        var readme = ReadmeCodes();
        Assert.Empty(constants.Except(readme).Order());
        Assert.Empty(readme.Except(constants).Order());
    }

    [Fact]
    public void Every_code_the_source_answers_with_is_a_constant()
    {
        var src = Path.Combine(RepoRoot(), "src", "Herald");
        var used = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .SelectMany(file => CodeLiteral().Matches(File.ReadAllText(file)).Select(m => (Code: m.Groups["code"].Value, File: Path.GetRelativePath(src, file))))
            .ToList();
        Assert.Contains(used, u => u.Code == "provider_not_configured"); // the scan sees the codes
        var constants = Constants();
        Assert.Empty(used.Where(u => !constants.Contains(u.Code)).Select(u => $"{u.Code} ({u.File})"));
    }

    public static TheoryData<string, string, string, string, string[], string> Refusals => new()
    {
        // key, method, path, body, required roles, detail
        { "member", "POST", "/v1/destinations", """{"kind":"slack","url":"https://hooks.slack.com/services/T/B/X"}""", ["admin"],
            "This action needs an admin key; this key's role is member." },
        { "member", "PUT", "/v1/projects/{project}/budget", """{"monthly_budget_usd":5}""", ["admin", "operator"],
            "This action needs an admin or operator key; this key's role is member." },
        { "admin", "POST", "/v1/projects", """{"name":"x"}""", ["operator"], "This action needs the operator key; this key's role is admin." },
        { "operator", "GET", "/v1/destinations", "", ["admin", "member"],
            "Operator keys belong to no project, and this action works on a key's own project: use an admin or member key of the project." },
        { "operator", "POST", "/v1/destinations", """{"kind":"slack","url":"https://hooks.slack.com/services/T/B/X"}""", ["admin"],
            "Operator keys belong to no project, and this action works on a key's own project: use an admin key of the project." },
        { "operator", "GET", "/projects/{project}/integrations/webhooks", "", ["admin", "member"],
            "Operator keys belong to no project, and this action works on a key's own project: use an admin or member key of the project." },
        { "operator", "POST", "/v1/usage", """{"amount_usd":1}""", ["admin", "member"],
            "Operator keys belong to no project, and this action works on a key's own project: use an admin or member key of the project." },
    };

    [Theory, MemberData(nameof(Refusals))]
    public async Task A_refused_role_is_told_which_role_the_action_needs(string key, string method, string path, string body, string[] required, string detail)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var client = key switch
        {
            "admin" => admin,
            "operator" => herald.Operator(),
            _ => herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m", role = "member" }).Json(HttpStatusCode.Created)).Str("key")),
        };
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{project}", project));
        if (body.Length > 0) request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var problem = await (await client.SendAsync(request)).Problem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(detail, problem.Str("detail"));
        Assert.Equal(required, problem.GetProperty("required_roles").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(key, problem.Str("key_role"));
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength()); // nothing changed
    }

    [GeneratedRegex("`([a-z_]+)`")]
    private static partial Regex Code();

    /// <summary>A code passed to Problems.Create(status, "code", …) or Problems.Conflict("code", …).</summary>
    [GeneratedRegex(@"Problems\.(?:Create\(\s*[^,()]+,\s*|Conflict\(\s*)""(?<code>[a-z_]+)""|Extensions\[""code""\]\s*=\s*""(?<code>[a-z_]+)""")]
    private static partial Regex CodeLiteral();
}
