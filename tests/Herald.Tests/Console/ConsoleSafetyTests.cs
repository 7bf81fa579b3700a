using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>Hostile names in Chromium, and the delivery log's paging, chart filter and Retry.</summary>
public sealed class ConsoleSafetyTests
{
    private static Dictionary<string, string?> Environment() => new()
    {
        ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
        ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        ["Herald__Delivery__AllowHttp"] = "true",
        ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
    };

    private static async Task<IPage> SignedInAsync(BrowserSession browser, HeraldProcess herald)
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/login").ToString());
        await page.GetByLabel("API key").FillAsync(HeraldFactory.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"));
        return page;
    }

    private static HttpClient Api(HeraldProcess herald)
    {
        var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        return api;
    }

    [Fact]
    public async Task A_hostile_connector_name_is_shown_literally_in_the_confirmation_and_never_runs()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var herald = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-console-").FullName, Environment());
        await herald.WaitUntilHealthyAsync();
        using var api = Api(herald);
        const string scriptName = "'+(window.x=1)+'";
        const string quoteName = "it's";
        foreach (var name in new[] { scriptName, quoteName })
            (await api.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name, url = "http://127.0.0.1:9/hook" })).EnsureSuccessStatusCode();

        var page = await SignedInAsync(browser, herald);
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add(message.Text); };
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/connectors").ToString());
        var questions = new List<string>();
        page.Dialog += async (_, dialog) => { questions.Add(dialog.Message); await dialog.DismissAsync(); };

        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {scriptName}" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = $"Delete {quoteName}" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-destination]")).ToHaveCountAsync(2); // dismissed: nothing deleted
        Assert.Equal([$"Delete {scriptName}? Its configuration and delivery log are removed.", $"Delete {quoteName}? Its configuration and delivery log are removed."],
            questions);
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.x"));
        Assert.Equal(2, (await api.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Empty(violations); // the page needs nothing its policy forbids
    }

    [Fact]
    public async Task The_delivery_log_pages_past_100_its_chart_follows_the_filter_and_retry_keeps_the_filter()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var receiver = await TestReceiver.StartAsync(https: false);
        await using var herald = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-console-").FullName, Environment());
        await herald.WaitUntilHealthyAsync();
        using var api = Api(herald);
        var busy = (await api.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name = "busy", url = $"http://127.0.0.1:{receiver.Port}/in", events = new[] { "db.*" } })
            .Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");
        var broken = (await api.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name = "broken", url = "http://127.0.0.1:9/in", events = new[] { "auth.signup" } })
            .Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");
        for (var i = 0; i < 101; i++)
            (await api.PostAsJsonAsync("/v1/events", new { type = "db.insert", data = new { id = i } })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync("/v1/events", new { type = "auth.signup", data = new { user = "u_1" } })).EnsureSuccessStatusCode();
        await receiver.WaitForAsync(101, TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () =>
            (await api.GetAsync($"/v1/destinations/{broken}/attempts").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength() > 0, "an attempt to the broken webhook");
        await Eventually.TrueAsync(async () =>
            (await api.GetAsync($"/v1/destinations/{busy}/deliveries?status=delivered&limit=200").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength() == 101, "101 deliveries to busy");

        var page = await SignedInAsync(browser, herald);
        await page.GotoAsync(new Uri(herald.BaseAddress, $"/console/deliveries?destination={busy}").ToString());
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(100);
        await Assertions.Expect(page.Locator("[data-chart-summary]")).ToHaveTextAsync("101 delivered and 0 failed attempts to busy in the last 24 hours");
        await page.GetByRole(AriaRole.Link, new() { Name = "Older deliveries" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(1);
        Assert.Contains($"destination={busy}", page.Url);
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Older deliveries" })).ToHaveCountAsync(0);

        await page.GotoAsync(new Uri(herald.BaseAddress, $"/console/deliveries?destination={broken}").ToString());
        await Assertions.Expect(page.Locator("[data-chart-summary]")).ToContainTextAsync("0 delivered and");
        await Assertions.Expect(page.Locator("[data-chart-summary]")).ToContainTextAsync("to broken");
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(1);
        await page.GetByRole(AriaRole.Button, new() { Name = "Retry delivery" }).First.ClickAsync();
        await Assertions.Expect(page.Locator(".notice").First).ToContainTextAsync("queued for another try");
        Assert.Contains($"destination={broken}", page.Url); // the filter survives Retry
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByLabel("Connector")).ToHaveValueAsync(broken);

        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/deliveries").ToString());
        await Assertions.Expect(page.Locator("[data-chart-summary]")).ToContainTextAsync("101 delivered and");
    }
}
