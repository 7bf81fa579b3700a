using System.Net.Http.Json;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Herald.Tests.Sources;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>The Sources page in Chromium: reached from the navigation, each source's inbound URL and last verification, no CSP violation.</summary>
public sealed class SourcesPageBrowserTests
{
    [Fact]
    public async Task The_sources_page_shows_inbound_urls_and_verification_results_in_a_real_browser()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var herald = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-console-").FullName, new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        });
        await herald.WaitUntilHealthyAsync();
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        const string secret = "rzp_browser_secret_1";
        async Task<JsonElement> Create(string kind, string name, string key) =>
            JsonDocument.Parse(await (await api.PostAsJsonAsync("/v1/sources", new { kind, name, secret = key })).EnsureSuccessStatusCode()
                .Content.ReadAsStringAsync()).RootElement.Clone();
        var payments = await Create("razorpay", "Payments", secret);
        var repos = await Create("github", "Repositories", "github_browser_secret");
        using var provider = new HttpClient { BaseAddress = herald.BaseAddress };
        (await provider.PostRazorpay(payments.Str("inbound_url"), secret,
            SourceTestKit.RazorpayPayment("pay_browser"), "browser_1")).EnsureSuccessStatusCode();
        Assert.Equal(401, (int)(await provider.PostRazorpay(repos.Str("inbound_url"), "not_the_secret", "{}", "browser_2")).StatusCode);

        var page = await browser.NewPageAsync();
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add(message.Text); };
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/login").ToString());
        await page.GetByLabel("API key").FillAsync(HeraldFactory.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Sources" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console/sources$"));

        await Assertions.Expect(page.Locator("tr[data-source]")).ToHaveCountAsync(2);
        var verified = page.Locator($"tr[data-source='{payments.Str("id")}']");
        await Assertions.Expect(verified.Locator("[data-inbound-url]")).ToHaveTextAsync(payments.Str("inbound_url"));
        await Assertions.Expect(verified.Locator("[data-last-result] .status")).ToHaveTextAsync("verified");
        await Assertions.Expect(verified.Locator("[data-last-received]")).Not.ToHaveTextAsync("never");
        var failing = page.Locator($"tr[data-source='{repos.Str("id")}']");
        await Assertions.Expect(failing.Locator("[data-last-result] .status")).ToHaveTextAsync("missing_signature");
        await Assertions.Expect(failing.Locator("[data-last-received]")).ToHaveTextAsync("never");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("sources.png"), FullPage = true });
        Assert.Empty(violations);
    }
}
