using System.Net;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Web;

/// <summary>The console's HTML carries no inline script and no inline event handler, with hostile names in the data.</summary>
public sealed partial class ConsoleSecurityTests
{
    public const string ScriptName = "'+(window.x=1)+'";
    public const string QuoteName = "it's \"unbalanced";
    public const string TagName = "<img src=x onerror=alert(1)>";

    public static readonly string[] Pages = ["/console", "/console/connectors", "/console/deliveries", "/console/health", "/console/webhooks", "/console/budget"];

    [Fact]
    public async Task No_console_page_has_inline_script_or_event_handlers_and_all_carry_a_strict_policy()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com", "receiver.test");
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);
        var admin = herald.Admin();
        foreach (var name in new[] { ScriptName, QuoteName, TagName })
        {
            await admin.CreateDestinationAsync(new { kind = "slack", name, url = "https://hooks.slack.com/services/T0/B0/X" });
            await admin.CreateDestinationAsync(new { kind = "webhook", name, url = "https://receiver.test/in" });
        }
        await admin.PublishAsync("db.insert", new { table = "orders" });
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        await admin.PutAsync($"/v1/projects/{projectId}/budget", System.Net.Http.Json.JsonContent.Create(new { monthly_budget_usd = 50 })).Json(HttpStatusCode.OK);

        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var pages = new Dictionary<string, (string Html, HttpResponseMessage Response)>();
        foreach (var path in Pages)
        {
            var response = await console.GetAsync(path);
            pages[path] = (await response.Content.ReadAsStringAsync(), response);
        }
        var login = await herald.Anonymous().GetAsync("/console/login");
        pages["/console/login"] = (await login.Content.ReadAsStringAsync(), login);
        Assert.Contains("data-confirm=\"Delete &#x27;&#x2B;(window.x=1)&#x2B;&#x27;?", pages["/console/connectors"].Html); // the data is there

        foreach (var (path, (html, response)) in pages)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode}");
            foreach (Match script in ScriptElement().Matches(html))
            {
                Assert.True(script.Groups["body"].Value.Trim().Length == 0, $"{path} has inline script: {script.Value}");
                Assert.Contains(" src=\"/console/static/", script.Groups["attributes"].Value);
            }
            foreach (Match tag in Tag().Matches(html))
            {
                var names = QuotedValue().Replace(tag.Value, "\"\""); // attribute names only: values may quote anything
                Assert.False(EventHandlerAttribute().IsMatch(names), $"{path} has an inline event handler: {tag.Value}");
                Assert.False(StyleAttribute().IsMatch(names), $"{path} has an inline style the policy would block: {tag.Value}");
            }
            Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("javascript:", html, StringComparison.OrdinalIgnoreCase);
            var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
            foreach (var directive in new[] { "default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'" })
                Assert.Contains(directive, policy);
            Assert.DoesNotContain("unsafe-inline", policy);
        }
    }

    [Fact]
    public async Task The_console_serves_its_script_styles_and_favicon_itself()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var anonymous = herald.Anonymous();
        var script = await anonymous.GetAsync("/console/static/console.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.Contains("data-confirm", await script.Content.ReadAsStringAsync());
        Assert.DoesNotContain("innerHTML", await script.Content.ReadAsStringAsync());
        Assert.Equal("text/css", (await anonymous.GetAsync("/console/static/console.css")).Content.Headers.ContentType!.MediaType);
        var icon = await anonymous.GetAsync("/favicon.ico");
        Assert.Equal(HttpStatusCode.OK, icon.StatusCode);
        Assert.Equal("image/svg+xml", icon.Content.Headers.ContentType!.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/console/static/..%2Fappsettings.json")).StatusCode);
        Assert.Contains("rel=\"icon\"", await (await anonymous.GetAsync("/console/login")).Content.ReadAsStringAsync());
    }

    [GeneratedRegex(@"<script(?<attributes>[^>]*)>(?<body>.*?)</script>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ScriptElement();

    [GeneratedRegex("\"[^\"]*\"|'[^']*'")]
    private static partial Regex QuotedValue();

    [GeneratedRegex(@"<[a-zA-Z](?:[^>""']|""[^""]*""|'[^']*')*>", RegexOptions.Singleline)]
    private static partial Regex Tag();

    [GeneratedRegex(@"\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex EventHandlerAttribute();

    [GeneratedRegex(@"\sstyle\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex StyleAttribute();
}
