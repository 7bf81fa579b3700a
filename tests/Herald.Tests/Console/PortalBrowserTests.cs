using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;

namespace Herald.Tests.Console;

/// <summary>
/// The customer portal in Debian's Chromium: Herald on https (the test CA), a host product on another site (http://127.0.0.1,
/// cross-site to https://localhost) that embeds a portal link in an iframe, and the checks the issue names: a connector managed inside
/// the frame, a link refused the second time and once expired, a member session that changes nothing, no framing without origins.
/// </summary>
public sealed class PortalBrowserTests
{
    private sealed record Setup(HeraldFactory Herald, FakeTimeProvider Time, Uri Base, HttpClient Operator, HttpClient Admin, string ProjectId)
        : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Operator.Dispose();
            Admin.Dispose();
            await Herald.DisposeAsync();
        }

        public async Task<string> LinkAsync(string projectId, string role, string? returnUrl = null) =>
            (await (projectId == ProjectId ? Admin : Operator).PostAsJsonAsync($"/v1/projects/{projectId}/portal-sessions", new { role, expires_in = 3600, return_url = returnUrl })
                .Json(HttpStatusCode.Created)).Str("url");
    }

    private static async Task<Setup> StartAsync()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Delivery:AllowHttp"] = "true",
            ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Herald:Delivery:Worker"] = "false",
        };
        var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        var port = HeraldProcess.FreePort();
        herald.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(TestCertificates.Server)));
        herald.StartServer();
        var baseAddress = new Uri($"https://localhost:{port}");
        HttpClient Client(string key)
        {
            // Loopback only, to the test CA's certificate.
            var client = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true }) { BaseAddress = baseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
            return client;
        }
        var admin = Client(HeraldFactory.AdminKey);
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        return new Setup(herald, time, baseAddress, Client(HeraldFactory.OperatorKey), admin, projectId);
    }

    /// <summary>The host product: /host/{name} embeds the link registered under that name; /logo.svg is its logo.</summary>
    private static async Task<(TestReceiver Product, Dictionary<string, string> Links)> HostProductAsync()
    {
        var links = new Dictionary<string, string>();
        var product = await TestReceiver.StartAsync(https: false);
        product.Respond = context =>
        {
            var path = context.Request.Path.Value ?? "";
            if (path == "/logo.svg")
            {
                context.Response.ContentType = "image/svg+xml";
                return context.Response.WriteAsync("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"24\" height=\"24\"><circle cx=\"12\" cy=\"12\" r=\"10\" fill=\"#6d28d9\"/></svg>");
            }
            if (path.StartsWith("/host/", StringComparison.Ordinal) && links.TryGetValue(path["/host/".Length..], out var link))
            {
                context.Response.ContentType = "text/html; charset=utf-8";
                return context.Response.WriteAsync($"""
                    <!doctype html><html><head><title>Acme settings</title></head>
                    <body><h1>Acme settings</h1><iframe id="portal" title="Integrations" src="{WebUtility.HtmlEncode(link)}" width="1200" height="850"></iframe></body></html>
                    """);
            }
            if (path == "/settings") return context.Response.WriteAsync("<!doctype html><title>Acme</title><h1>Back in Acme</h1>");
            return context.Response.WriteAsync("ok");
        };
        return (product, links);
    }

    [Fact]
    public async Task A_host_product_embeds_the_portal_and_manages_a_connector_inside_the_frame()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var setup = await StartAsync();
        var (product, links) = await HostProductAsync();
        await using var _p = product;
        await using var receiver = await TestReceiver.StartAsync(https: false);
        var host = $"http://127.0.0.1:{product.Port}";
        (await setup.Admin.PatchAsync($"/v1/projects/{setup.ProjectId}", JsonContent.Create(new
        {
            portal = new { allowed_origins = new[] { host }, product_name = "Acme", accent_color = "#6d28d9", logo_url = $"{host}/logo.svg" },
        }))).EnsureSuccessStatusCode();
        var link = await setup.LinkAsync(setup.ProjectId, "admin", $"{host}/settings");
        links["admin"] = link;

        var page = await browser.NewPageAsync(1280, 1000, ignoreHttpsErrors: true);
        var violations = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add(message.Text); };
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.GotoAsync($"{host}/host/admin");
        var frame = page.FrameLocator("#portal");
        await Assertions.Expect(frame.GetByRole(AriaRole.Heading, new() { Name = "Marketplace" })).ToBeVisibleAsync(new() { Timeout = 30_000 });
        var inner = page.Frames.Single(f => f.Url.Contains("/console", StringComparison.Ordinal));
        Assert.Equal($"{setup.Base}console", inner.Url); // the token is gone from the frame's address
        await Assertions.Expect(frame.Locator("[data-portal-brand]")).ToHaveTextAsync("Acme");
        Assert.True(await frame.Locator("[data-portal-brand] img").EvaluateAsync<bool>("img => img.complete && img.naturalWidth > 0"), "the logo from the host product loads");
        Assert.Equal("#6d28d9", await frame.Locator("body").EvaluateAsync<string>("() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"));

        // Register a webhook inside the frame: the form posts with the frame's cookies, and the one-time secret shows.
        await frame.GetByRole(AriaRole.Link, new() { Name = "Webhooks" }).ClickAsync();
        await frame.GetByLabel("Name").FillAsync("orders in frame");
        await frame.GetByLabel("Endpoint URL").FillAsync($"http://127.0.0.1:{receiver.Port}/hook");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Register" }).ClickAsync();
        await Assertions.Expect(frame.Locator(".notice").First).ToContainTextAsync("Registered orders in frame");
        await Assertions.Expect(frame.Locator("[data-secret]")).ToContainTextAsync("whsec_");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("portal-embedded.png"), FullPage = true });

        await frame.GetByRole(AriaRole.Button, new() { Name = "Test orders in frame" }).ClickAsync();
        await Assertions.Expect(frame.Locator(".notice").First).ToContainTextAsync("Test of orders in frame: delivered");
        Assert.Contains(await receiver.WaitForAsync(1), r => r.Body.Contains("test.ping", StringComparison.Ordinal));

        await frame.GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await frame.GetByLabel("Name", new() { Exact = true }).FillAsync("orders renamed");
        await frame.GetByLabel("Status").SelectOptionAsync("disabled");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Save changes" }).ClickAsync();
        await Assertions.Expect(frame.Locator(".notice").First).ToContainTextAsync("Saved orders renamed");
        await Assertions.Expect(frame.Locator("[data-destination-status]")).ToHaveTextAsync("disabled");
        var saved = Assert.Single((await setup.Admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal("orders renamed", saved.Str("name"));
        Assert.Equal("disabled", saved.Str("status"));

        await frame.GetByRole(AriaRole.Button, new() { Name = "Delete orders renamed" }).ClickAsync();
        await Assertions.Expect(frame.Locator(".notice").First).ToContainTextAsync("Deleted orders renamed");
        Assert.Empty((await setup.Admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Empty(violations);

        // The way back leaves the frame for the host product's own page.
        await frame.GetByRole(AriaRole.Link, new() { Name = "Back to Acme" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync($"{host}/settings");

        // The same URL, opened again (here as a page of its own), is refused.
        var again = await browser.NewPageAsync(ignoreHttpsErrors: true);
        var response = await again.GotoAsync(link);
        Assert.Equal(410, response!.Status);
        await Assertions.Expect(again.Locator("[data-portal-refusal]")).ToHaveAttributeAsync("data-portal-refusal", "used");
    }

    [Fact]
    public async Task Expired_links_member_sessions_and_projects_without_origins_are_held_to_their_limits()
    {
        await using var browser = await BrowserSession.StartAsync();
        await using var setup = await StartAsync();
        var (product, links) = await HostProductAsync();
        await using var _p = product;
        var host = $"http://127.0.0.1:{product.Port}";
        (await setup.Admin.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", name = "existing", url = "http://127.0.0.1:9/in" })).EnsureSuccessStatusCode();

        // Expired: ten minutes pass between making the link and opening it.
        var late = await setup.LinkAsync(setup.ProjectId, "admin");
        setup.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        var expired = await browser.NewPageAsync(ignoreHttpsErrors: true);
        Assert.Equal(410, (await expired.GotoAsync(late))!.Status);
        await Assertions.Expect(expired.Locator("[data-portal-refusal]")).ToHaveAttributeAsync("data-portal-refusal", "expired");
        await expired.GotoAsync($"{setup.Base}console");
        Assert.Contains("/console/login", expired.Url); // no session came of it

        // A member session, standalone: it reads everything and is offered no change at all.
        var member = await browser.NewPageAsync(360, 800, ignoreHttpsErrors: true);
        await member.GotoAsync(await setup.LinkAsync(setup.ProjectId, "member", $"{host}/settings"));
        await Assertions.Expect(member.Locator("[data-portal-role]")).ToHaveTextAsync("Read-only access");
        await member.GotoAsync($"{setup.Base}console/webhooks");
        await Assertions.Expect(member.Locator("tr[data-webhook]")).ToHaveCountAsync(1);
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Register" })).ToHaveCountAsync(0);
        await Assertions.Expect(member.GetByRole(AriaRole.Button, new() { Name = "Delete existing" })).ToHaveCountAsync(0);
        await Assertions.Expect(member.GetByRole(AriaRole.Link, new() { Name = "API keys" })).ToHaveCountAsync(0);
        Assert.True(await member.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"), "readable at 360 px without sideways scrolling");
        await member.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("portal-standalone.png"), FullPage = true });
        var existing = Assert.Single((await setup.Admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
        Assert.Equal("active", existing.Str("status"));

        // A project without allowed origins: its portal refuses to render inside the host product's frame.
        var unframed = (await setup.Operator.PostAsJsonAsync("/v1/projects", new { name = "unframed" }).Json(HttpStatusCode.Created)).Str("id");
        links["unframed"] = await setup.LinkAsync(unframed, "admin");
        var page = await browser.NewPageAsync(ignoreHttpsErrors: true);
        var refusals = new List<string>();
        page.Console += (_, message) => { if (message.Text.Contains("frame-ancestors 'none'", StringComparison.Ordinal)) lock (refusals) refusals.Add(message.Text); };
        await page.GotoAsync($"{host}/host/unframed");
        await Eventually.TrueAsync(() => { lock (refusals) return Task.FromResult(refusals.Count > 0); }, "Chromium refusing the frame");
        await Assertions.Expect(page.FrameLocator("#portal").GetByRole(AriaRole.Heading, new() { Name = "Marketplace" })).ToHaveCountAsync(0);
    }
}
