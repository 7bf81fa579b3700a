using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>The Health page in Chromium: reached from the navigation, a row per destination with what was delivered, a chart, no CSP violation.</summary>
public sealed class HealthPageBrowserTests
{
    [Fact]
    public async Task The_health_page_shows_each_destination_and_the_chart_in_a_real_browser()
    {
        await using var receiver = await TestReceiver.StartAsync(https: false);
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path == "/down" ? 500 : 200;
            return context.Response.WriteAsync("answer");
        };
        await using var browser = await BrowserSession.StartAsync();
        await using var herald = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-console-").FullName, new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
            ["Herald__Delivery__AllowHttp"] = "true",
            ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Herald__Delivery__PollInterval"] = "00:00:00.100",
        });
        await herald.WaitUntilHealthyAsync();
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        foreach (var (name, path) in new[] { ("orders feed", "/up"), ("broken feed", "/down") })
            (await api.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name, url = $"http://127.0.0.1:{receiver.Port}{path}", events = new[] { "db.*" } }))
                .EnsureSuccessStatusCode();
        for (var i = 0; i < 3; i++) await api.PublishAsync("db.insert", new { i });
        await receiver.WaitForAsync(6);

        var page = await browser.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add(message.Text); };
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/login").ToString());
        await page.GetByLabel("API key").FillAsync(HeraldFactory.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Health" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/health$"));

        await Assertions.Expect(page.Locator("tr[data-health]")).ToHaveCountAsync(2);
        var healthy = page.Locator("tr[data-health]", new() { HasText = "orders feed" });
        await Assertions.Expect(healthy.Locator("[data-day]")).ToHaveTextAsync("3");
        await Assertions.Expect(healthy.Locator("[data-day-rate]")).ToHaveTextAsync("100 %");
        var broken = page.Locator("tr[data-health]", new() { HasText = "broken feed" });
        await Assertions.Expect(broken.Locator("[data-last-outcome]")).ToHaveTextAsync("http_500");
        await Assertions.Expect(page.Locator("svg[role=img]")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("health.png"), FullPage = true });
        Assert.Empty(violations);
    }
}
