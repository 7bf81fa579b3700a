using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>The real console in headless Chromium against a real Herald process and a loopback receiver.</summary>
public sealed class ConsoleTests
{
    private static Dictionary<string, string?> Environment() => new()
    {
        ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
        ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        ["Herald__Delivery__AllowHttp"] = "true",
        ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
    };

    private static async Task SignInAsync(IPage page, Uri baseAddress, string key, HeraldProcess herald)
    {
        await page.GotoAsync(new Uri(baseAddress, "/console").ToString());
        Assert.Contains("/console/login", page.Url);
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ExpectPageAsync(page, "/console", herald);
    }

    /// <summary>
    /// Waits until the page shows the path (a polling assertion: WaitForURL also waits for a load event, which Chromium
    /// sometimes reports before Playwright starts listening after a POST-redirect); if it never does, says where it is,
    /// what it shows and what Herald logged.
    /// </summary>
    private static async Task ExpectPageAsync(IPage page, string path, HeraldProcess herald)
    {
        try
        {
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(System.Text.RegularExpressions.Regex.Escape(path) + "$"), new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            var text = await page.Locator("body").InnerTextAsync(new() { Timeout = 5000 });
            var log = herald.Output;
            throw new TimeoutException($"Expected {path}, but the page is {page.Url} showing:\n{text}\n--- Herald's output (last 4000 characters):\n" +
                log[Math.Max(0, log.Length - 4000)..], e);
        }
    }

    private static string Sign(ReceivedRequest request, string secret) => "v1," + Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
        Convert.FromBase64String(secret[6..]),
        System.Text.Encoding.UTF8.GetBytes($"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}")));

    [Fact]
    public async Task An_admin_installs_tests_disables_and_reads_the_delivery_log_in_the_browser()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var receiver = await TestReceiver.StartAsync(https: false);
        var directory = Directory.CreateTempSubdirectory("herald-console-").FullName;
        await using var herald = HeraldProcess.Start(directory, Environment());
        await herald.WaitUntilHealthyAsync();
        var page = await browser.NewPageAsync();

        await SignInAsync(page, herald.BaseAddress, HeraldFactory.AdminKey, herald);
        Assert.Equal(7, await page.Locator("section.card[data-listing]").CountAsync()); // five chat/webhook kinds, two brokers
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("marketplace.png"), FullPage = true });

        // A bad URL is answered next to the field, and nothing is installed.
        var slack = page.Locator("section[data-listing=slack]");
        await slack.Locator("summary").ClickAsync();
        await slack.GetByLabel("Destination URL").FillAsync("https://evil.example.com/services/T0/B0/X");
        await slack.GetByRole(AriaRole.Button, new() { Name = "Install" }).ClickAsync();
        var error = page.Locator("section[data-listing=slack] .field-error");
        await Assertions.Expect(error).ToContainTextAsync("hooks.slack.com");
        await Assertions.Expect(slack.GetByLabel("Destination URL")).ToHaveValueAsync("https://evil.example.com/services/T0/B0/X"); // kept

        // Install a custom webhook pointing at the loopback receiver.
        var custom = page.Locator("section[data-listing=custom-webhook]");
        await custom.Locator("summary").ClickAsync();
        await custom.GetByLabel("Name").FillAsync("billing hook");
        var token = "consoletoken42";
        await custom.GetByLabel("Destination URL").FillAsync($"http://127.0.0.1:{receiver.Port}/hook/{token}");
        await custom.GetByRole(AriaRole.Button, new() { Name = "Install" }).ClickAsync();
        await ExpectPageAsync(page, "/console/connectors", herald);
        await Assertions.Expect(page.Locator(".notice").First).ToContainTextAsync("mkfp_");
        Assert.DoesNotContain(token, await page.ContentAsync());
        // A custom webhook is signed: its secret is shown once, after the redirect.
        var installSecret = await page.Locator("[data-secret]").InnerTextAsync();
        Assert.StartsWith("whsec_", installSecret);
        await page.ReloadAsync();
        Assert.DoesNotContain(installSecret, await page.ContentAsync());
        Assert.Equal(1, await page.Locator("tr[data-destination]").CountAsync());

        // Test shows the inline result.
        await page.GetByRole(AriaRole.Button, new() { Name = "Test billing hook" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notice").First).ToContainTextAsync("delivered_200");

        // Events through the API, then the delivery log in the browser.
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        for (var i = 0; i < 3; i++)
            (await api.PostAsJsonAsync("/v1/events", new { type = "db.insert", data = new { table = "orders", id = i } })).EnsureSuccessStatusCode();
        await receiver.WaitForAsync(4);
        await Task.Delay(500);
        await page.GetByRole(AriaRole.Link, new() { Name = "Delivery log" }).First.ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("tr[data-delivery] .status.ok").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("svg[role=img]")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("[1-9]\\d* delivered"));
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("delivery-log.png"), FullPage = true });
        await page.GetByLabel("Status").SelectOptionAsync("failed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-delivery]")).ToHaveCountAsync(0);

        // Disable it.
        await page.GetByRole(AriaRole.Link, new() { Name = "Installed connectors" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable billing hook" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-destination] .status").First).ToHaveTextAsync("disabled");
        var published = await (await api.PostAsJsonAsync("/v1/events", new { type = "db.insert", data = new { id = 9 } })).Json(HttpStatusCode.Accepted);
        Assert.Equal(0, published.GetProperty("deliveries").GetInt32());

        // A narrow screen still shows the table.
        await page.SetViewportSizeAsync(390, 844);
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Enable billing hook" })).ToBeVisibleAsync();

        // Sign out.
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await ExpectPageAsync(page, "/console/login", herald);
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/connectors").ToString());
        Assert.Contains("/console/login", page.Url);
        Assert.DoesNotContain(token, herald.Output);
    }

    [Fact]
    public async Task A_member_sees_but_cannot_change_and_the_server_refuses_a_forged_install()
    {
        await using var browser = await BrowserSession.StartAsync();
        var directory = Directory.CreateTempSubdirectory("herald-console-").FullName;
        await using var herald = HeraldProcess.Start(directory, Environment());
        await herald.WaitUntilHealthyAsync();
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        var project = (await api.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var memberKey = (await api.PostAsJsonAsync($"/v1/projects/{project}/keys", new { name = "viewer", role = "member" }).Json(HttpStatusCode.Created)).Str("key");

        var page = await browser.NewPageAsync();
        await SignInAsync(page, herald.BaseAddress, memberKey, herald);
        Assert.Equal(0, await page.Locator("details").CountAsync()); // no install forms
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/budget").ToString());
        Assert.Equal(0, await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).CountAsync());

        // Forge an install post with the page's own anti-forgery token: the server still refuses.
        await page.GotoAsync(new Uri(herald.BaseAddress, "/console").ToString());
        await page.EvaluateAsync("""
            () => {
              const token = document.querySelector('input[name=__RequestVerificationToken]').value;
              const form = document.createElement('form');
              form.method = 'post';
              form.action = '/console?handler=Install';
              for (const [name, value] of Object.entries({ __RequestVerificationToken: token, slug: 'slack', url: 'https://hooks.slack.com/services/T0/B0/X' })) {
                const input = document.createElement('input'); input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
              }
              document.body.appendChild(form);
              form.submit();
            }
            """);
        await Assertions.Expect(page.Locator(".notice.error")).ToContainTextAsync("member key");
        Assert.Equal(0, (await api.GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        // A post without the anti-forgery token is refused outright.
        var cookies = await page.Context.CookiesAsync();
        using var raw = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = herald.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/console?handler=Install")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["slug"] = "slack", ["url"] = "https://hooks.slack.com/services/T0/B0/X" }),
        };
        request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        Assert.Equal(HttpStatusCode.BadRequest, (await raw.SendAsync(request)).StatusCode);

        var session = cookies.Single(c => c.Name == "herald_console");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);
        Assert.DoesNotContain(memberKey, await page.ContentAsync());
    }

    [Fact]
    public async Task Webhooks_show_their_secret_once_and_the_budget_page_shows_spend_against_the_marks()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var receiver = await TestReceiver.StartAsync(https: false);
        var directory = Directory.CreateTempSubdirectory("herald-console-").FullName;
        await using var herald = HeraldProcess.Start(directory, Environment());
        await herald.WaitUntilHealthyAsync();
        var page = await browser.NewPageAsync();
        await SignInAsync(page, herald.BaseAddress, HeraldFactory.AdminKey, herald);

        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/webhooks").ToString());
        await page.GetByLabel("Endpoint URL").FillAsync("https://localhost/hook");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Assertions.Expect(page.Locator("#url-error")).ToBeVisibleAsync(); // refused next to the field
        await Assertions.Expect(page.GetByLabel("Endpoint URL")).ToHaveValueAsync("https://localhost/hook"); // what was typed is kept
        await page.GetByLabel("Name").FillAsync("signup relay");
        await page.GetByLabel("Endpoint URL").FillAsync($"http://127.0.0.1:{receiver.Port}/hook");
        await page.GetByLabel("Events").FillAsync("auth.signup, db.*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await ExpectPageAsync(page, "/console/webhooks", herald); // Post/Redirect/Get
        var secret = await page.Locator("[data-secret]").InnerTextAsync();
        Assert.StartsWith("whsec_", secret);
        await page.ReloadAsync(); // repeats the GET, not the POST: no second webhook, and the secret is gone
        Assert.DoesNotContain(secret, await page.ContentAsync());
        await Assertions.Expect(page.Locator("tr[data-webhook]")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr[data-webhook] td").First).ToHaveTextAsync("signup relay");

        // Rotate asks first; dismissing changes nothing.
        string? question = null;
        var accept = false;
        page.Dialog += async (_, dialog) => { question = dialog.Message; if (accept) await dialog.AcceptAsync(); else await dialog.DismissAsync(); };
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret of signup relay" }).ClickAsync();
        Assert.StartsWith("Rotate the signing secret of signup relay?", question);
        Assert.Equal(0, await page.Locator("[data-secret]").CountAsync());
        accept = true;
        await page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret of signup relay" }).ClickAsync();
        var rotated = await page.Locator("[data-secret]").InnerTextAsync();
        Assert.StartsWith("whsec_", rotated);
        Assert.NotEqual(secret, rotated);
        await page.ReloadAsync(); // no second rotation: the secret just shown keeps verifying, and it is not shown again
        Assert.DoesNotContain(rotated, await page.ContentAsync());
        // Exactly one rotation: a delivery is signed with the rotated secret and, during the overlap, with the first one.
        using var check = new HttpClient { BaseAddress = herald.BaseAddress };
        check.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        (await check.PostAsJsonAsync("/v1/events", new { type = "db.insert", data = new { id = 1 } })).EnsureSuccessStatusCode();
        var delivered = Assert.Single(await receiver.WaitForAsync(1));
        var signatures = delivered.Headers["webhook-signature"].Split(' ');
        Assert.Equal(2, signatures.Length);
        Assert.Contains(Sign(delivered, rotated), signatures);
        Assert.Contains(Sign(delivered, secret), signatures);

        // The webhooks page tests, disables and deletes too.
        await page.GetByRole(AriaRole.Button, new() { Name = "Test signup relay" }).ClickAsync();
        await Assertions.Expect(page.Locator(".notice").First).ToContainTextAsync("Test of signup relay");
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable signup relay" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-webhook] .status").First).ToHaveTextAsync("disabled");
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete signup relay" }).ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-webhook]")).ToHaveCountAsync(0);

        await page.GotoAsync(new Uri(herald.BaseAddress, "/console/budget").ToString());
        await page.GetByLabel("Budget in USD").FillAsync("lots");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.Locator("#amount-error")).ToBeVisibleAsync();
        await page.GetByLabel("Budget in USD").FillAsync("50");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        using var api = new HttpClient { BaseAddress = herald.BaseAddress };
        api.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        (await api.PostAsJsonAsync("/v1/usage", new { amount_usd = 41.2 })).EnsureSuccessStatusCode();
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-spend]")).ToHaveTextAsync("$41.20");
        await Assertions.Expect(page.Locator("[role=progressbar]")).ToHaveAttributeAsync("aria-valuenow", "82");
        await Assertions.Expect(page.Locator(".progress .mark")).ToHaveCountAsync(3);
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("budget.png"), FullPage = true });
    }
}
