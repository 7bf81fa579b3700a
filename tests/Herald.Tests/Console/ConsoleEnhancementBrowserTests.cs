using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>Progressive enhancement in Chromium: the delivery log refreshes itself with JavaScript, and the console works without it.</summary>
public sealed class ConsoleEnhancementBrowserTests
{
    private static Dictionary<string, string?> Environment() => new()
    {
        ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
        ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        ["Herald__Delivery__AllowHttp"] = "true",
        ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
    };

    private static async Task SignInAsync(IPage page, Uri baseAddress)
    {
        await page.GotoAsync(new Uri(baseAddress, "/console/login").ToString());
        await page.GetByLabel("API key").FillAsync(HeraldFactory.AdminKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/console$"), new() { Timeout = 30_000 });
    }

    [Fact]
    public async Task The_delivery_log_refreshes_itself_and_the_console_works_without_javascript()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var receiver = await TestReceiver.StartAsync(https: false);
        await using var herald = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-console-").FullName, Environment());
        await herald.WaitUntilHealthyAsync();
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        (await api.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name = "feed", url = $"http://127.0.0.1:{receiver.Port}/in", events = new[] { "db.*" } }))
            .EnsureSuccessStatusCode();

        var page = await browser.NewPageAsync();
        await SignInAsync(page, herald.BaseAddress);
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/deliveries").ToString());
        await Assertions.Expect(page.Locator("[data-autorefresh-control]")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(0);
        await api.PublishAsync("db.insert", new { id = 1 });
        await receiver.WaitForAsync(1);
        // No reload: the log fills in on its own within a refresh or two.
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("tr[data-delivery] .status").First).ToHaveTextAsync("delivered", new() { Timeout = 30_000 });

        // JavaScript off: sign in, register, edit and delete a webhook with plain forms (no confirm dialog; the refresh control stays hidden).
        var plain = await browser.NewPageAsync(javaScript: false);
        await SignInAsync(plain, herald.BaseAddress);
        await plain.GotoAsync(new Uri(herald.BaseAddress, "/console/webhooks").ToString());
        await plain.GetByLabel("Name").FillAsync("no script");
        await plain.GetByLabel("Endpoint URL").FillAsync($"http://127.0.0.1:{receiver.Port}/plain");
        await plain.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Assertions.Expect(plain.Locator(".notice").First).ToContainTextAsync("Registered no script");
        await plain.Locator("tr[data-webhook]", new() { HasText = "no script" }).GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await plain.GetByLabel("Name", new() { Exact = true }).FillAsync("still no script");
        await plain.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(plain.Locator(".notice").First).ToContainTextAsync("Saved still no script");
        await plain.GetByRole(AriaRole.Button, new() { Name = "Delete still no script" }).ClickAsync();
        await Assertions.Expect(plain.Locator(".notice").First).ToContainTextAsync("Deleted still no script");
        await plain.GotoAsync(new Uri(herald.BaseAddress, "/console/deliveries").ToString());
        await Assertions.Expect(plain.Locator("[data-autorefresh-control]")).ToBeHiddenAsync();
        await Assertions.Expect(plain.Locator("tr[data-delivery]")).ToHaveCountAsync(1);
        Assert.Single((await api.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
    }
}
