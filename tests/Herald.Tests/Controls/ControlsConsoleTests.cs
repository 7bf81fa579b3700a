using System.Net;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Controls;

/// <summary>The console's delivery-controls form on the installed-connectors page (over HTTP with the page's anti-forgery token).</summary>
public sealed class ControlsConsoleTests
{
    [Fact]
    public async Task An_admin_sets_and_clears_a_destinations_controls_and_a_mistake_shows_next_to_its_field()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" },
            services => services.AddSingleton<HostResolver>(provider =>
            {
                var resolver = new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>());
                resolver.Answers["hooks.example.com"] = [IPAddress.Parse("93.184.216.34")];
                return resolver;
            }));
        var admin = herald.Admin();
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://hooks.example.com/in", name = "ledger" });
        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);

        var refused = await console.PostFormAsync("/console/connectors", new()
        {
            ["id"] = id, ["filter"] = """{"data.amount": {"$gtee": 100}}""", ["retry_schedule"] = "soon", ["timeout"] = "60", ["rate"] = "5",
            ["per"] = "second",
        }, "/console/connectors?handler=Controls");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var html = WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync());
        Assert.Contains("filter.data.amount.$gtee: is not an operator", html);
        Assert.Contains("must be 1 to 50 comma-separated durations", html);
        Assert.Contains("must be 1 to 30 seconds", html);
        Assert.Contains("""{"data.amount": {"$gtee": 100}}""", html); // what was entered stays in the form
        Assert.False((await admin.DestinationAsync(id)).TryGetProperty("filter", out _));

        var bad = await console.PostFormAsync("/console/connectors", new() { ["id"] = id, ["filter"] = "[1" }, "/console/connectors?handler=Controls");
        Assert.Contains("must be a JSON object", WebUtility.HtmlDecode(await bad.Content.ReadAsStringAsync()));

        var saved = await console.PostFormAsync("/console/connectors", new()
        {
            ["id"] = id, ["filter"] = """{"data.amount": {"$gte": 100}}""", ["retry_schedule"] = "10s,1m", ["timeout"] = "5", ["rate"] = "30",
            ["per"] = "minute", ["fifo"] = "true",
        }, "/console/connectors?handler=Controls");
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);
        var d = await admin.DestinationAsync(id);
        Assert.Equal(100, d.GetProperty("filter").GetProperty("data.amount").GetProperty("$gte").GetInt32());
        Assert.Equal("10s,1m", d.Str("retry_schedule"));
        Assert.Equal(5, d.GetProperty("timeout").GetDouble());
        Assert.Equal(30, d.GetProperty("rate_limit").GetProperty("per_minute").GetInt32());
        Assert.Equal("fifo", d.Str("ordering"));
        var page = WebUtility.HtmlDecode(await console.PageAsync("/console/connectors"));
        Assert.Contains("""{"data.amount":{"$gte":100}}""", page);
        Assert.Contains("value=\"10s,1m\"", page);

        // Every field empty: back to Herald's defaults.
        var cleared = await console.PostFormAsync("/console/connectors", new() { ["id"] = id }, "/console/connectors?handler=Controls");
        Assert.Equal(HttpStatusCode.SeeOther, cleared.StatusCode);
        d = await admin.DestinationAsync(id);
        foreach (var field in new[] { "filter", "retry_schedule", "timeout", "rate_limit", "ordering" }) Assert.False(d.TryGetProperty(field, out _), field);

        // A member sees the page without the form, and a forged post of it changes nothing.
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var memberKey = (await admin.PostJson($"/v1/projects/{project}/keys", new { name = "viewer", role = "member" }).Json(HttpStatusCode.Created)).Str("key");
        var member = await ConsoleClient.SignInAsync(herald, memberKey);
        Assert.DoesNotContain("Save delivery controls", await member.PageAsync("/console/connectors"));
        var forged = await member.PostFormAsync("/console/connectors", new() { ["id"] = id, ["retry_schedule"] = "1s" }, "/console/connectors?handler=Controls");
        Assert.Equal(HttpStatusCode.SeeOther, forged.StatusCode);
        Assert.False((await admin.DestinationAsync(id)).TryGetProperty("retry_schedule", out _));
    }
}
