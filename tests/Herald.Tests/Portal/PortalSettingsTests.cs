using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Herald.Tests.Portal;

/// <summary>PATCH /v1/projects/{id} {"portal": …}: who may change it, what it may hold, and what it does to portal pages' headers, cookies and look.</summary>
public sealed class PortalSettingsTests
{
    private static async Task<string> ProjectIdAsync(HeraldFactory herald) =>
        (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

    private static HttpClient Browser(HeraldFactory herald) => herald.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = new Uri("https://localhost"),
    });

    private static async Task<(HttpClient Browser, HttpResponseMessage Opened)> OpenAsync(HeraldFactory herald, string projectId, string role = "admin")
    {
        var link = await herald.Admin().PostJson($"/v1/projects/{projectId}/portal-sessions", new { role, return_url = "https://app.example/settings" })
            .Json(HttpStatusCode.Created);
        var browser = Browser(herald);
        var opened = await browser.GetAsync(new Uri(link.Str("url")).PathAndQuery);
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
        return (browser, opened);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task An_admin_key_sets_the_portal_and_reads_it_back(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, PortalSessionTests.Settings());
        var projectId = await ProjectIdAsync(herald);
        var patched = await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """
            {"portal":{"allowed_origins":["https://app.example","https://App.Example:8443/"],"product_name":"Acme","accent_color":"#6D28D9","logo_url":"https://app.example/logo.svg"}}
            """).Json(HttpStatusCode.OK);
        var portal = patched.GetProperty("portal");
        Assert.Equal(["https://app.example", "https://app.example:8443"], portal.GetProperty("allowed_origins").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("Acme", portal.Str("product_name"));
        Assert.Equal("#6d28d9", portal.Str("accent_color"));
        Assert.Equal("https://app.example/logo.svg", portal.Str("logo_url"));

        // Omitted fields stay; null clears one; the whole object null clears all.
        var renamed = await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """{"portal":{"product_name":"Acme Cloud","accent_color":null}}""").Json(HttpStatusCode.OK);
        Assert.Equal("Acme Cloud", renamed.GetProperty("portal").Str("product_name"));
        Assert.Equal(JsonValueKind.Null, renamed.GetProperty("portal").GetProperty("accent_color").ValueKind);
        Assert.Equal("https://app.example/logo.svg", (await herald.Admin().GetAsync($"/v1/projects/{projectId}").Json(HttpStatusCode.OK)).GetProperty("portal").Str("logo_url"));
        var cleared = await herald.Operator().PatchRaw($"/v1/projects/{projectId}", """{"portal":null}""").Json(HttpStatusCode.OK);
        Assert.Empty(cleared.GetProperty("portal").GetProperty("allowed_origins").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("portal").GetProperty("product_name").ValueKind);
    }

    [Fact]
    public async Task Portal_settings_are_checked_field_by_field_and_a_refused_change_changes_nothing()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, PortalSessionTests.Settings());
        var projectId = await ProjectIdAsync(herald);
        var path = $"/v1/projects/{projectId}";
        var admin = herald.Admin();
        await admin.PatchRaw(path, """{"portal":{"allowed_origins":["https://app.example"],"logo_url":"https://app.example/logo.png"}}""").Json(HttpStatusCode.OK);

        foreach (var (body, field) in new[]
        {
            ("""{"portal":{"allowed_origins":["https://app.example/path"]}}""", "portal.allowed_origins[0]"),
            ("""{"portal":{"allowed_origins":["https://*.example"]}}""", "portal.allowed_origins[0]"),
            ("""{"portal":{"allowed_origins":["http://app.example"]}}""", "portal.allowed_origins[0]"),
            ("""{"portal":{"allowed_origins":["https://app.example","'none' https://x"]}}""", "portal.allowed_origins[1]"),
            ("""{"portal":{"allowed_origins":["https://a.example; script-src *"]}}""", "portal.allowed_origins[0]"),
            ("""{"portal":{"allowed_origins":[""]}}""", "portal.allowed_origins[0]"),
            ("""{"portal":{"accent_color":"red; background:url(https://x)"}}""", "portal.accent_color"),
            ("""{"portal":{"accent_color":"#12345"}}""", "portal.accent_color"),
            ("""{"portal":{"logo_url":"https://cdn.elsewhere.example/logo.png"}}""", "portal.logo_url"),
            ("""{"portal":{"logo_url":"javascript:alert(1)"}}""", "portal.logo_url"),
            ("""{"portal":{"allowed_origins":["https://other.example"]}}""", "portal.logo_url"),
            ("""{"portal":{"product_name":"   "}}""", "portal.product_name"),
            ("""{"portal":{"product_name":"Acme\u0000"}}""", "portal.product_name"),
        })
            await admin.PatchRaw(path, body).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", field);
        await admin.PatchRaw(path, """{"portal":{"allowed_origins":"https://app.example"}}""").Problem(HttpStatusCode.BadRequest, "invalid_type");
        await admin.PatchRaw(path, """{"portal":{"frame":"x"}}""").Problem(HttpStatusCode.BadRequest, "unknown_field");
        var eleven = string.Join(",", Enumerable.Range(0, 11).Select(i => $"\"https://a{i}.example\""));
        await admin.PatchRaw(path, "{\"portal\":{\"allowed_origins\":[" + eleven + "]}}").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "portal.allowed_origins");

        var portal = (await admin.GetAsync(path).Json(HttpStatusCode.OK)).GetProperty("portal");
        Assert.Equal(["https://app.example"], portal.GetProperty("allowed_origins").EnumerateArray().Select(o => o.GetString()));
        Assert.Equal("https://app.example/logo.png", portal.Str("logo_url"));
    }

    [Fact]
    public async Task An_admin_key_changes_only_the_portal_and_only_of_its_own_project()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, PortalSessionTests.Settings());
        var projectId = await ProjectIdAsync(herald);
        var problem = await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """{"plan":"enterprise","portal":{"product_name":"x"}}""")
            .Problem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(["operator"], problem.GetProperty("required_roles").EnumerateArray().Select(r => r.GetString()));
        await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """{"name":"mine"}""").Problem(HttpStatusCode.Forbidden, "forbidden");
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "other" }).Json(HttpStatusCode.Created)).Str("id");
        await herald.Admin().PatchRaw($"/v1/projects/{other}", """{"portal":{"product_name":"x"}}""").Problem(HttpStatusCode.NotFound, "not_found");
        var project = await herald.Admin().GetAsync($"/v1/projects/{projectId}").Json(HttpStatusCode.OK);
        Assert.Equal("default", project.Str("name"));
        Assert.Equal(JsonValueKind.Null, project.GetProperty("portal").GetProperty("product_name").ValueKind);
    }

    [Fact]
    public async Task With_allowed_origins_portal_pages_may_be_framed_by_them_and_use_a_cookie_that_works_in_a_cross_site_frame()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, PortalSessionTests.Settings());
        var projectId = await ProjectIdAsync(herald);
        await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """
            {"portal":{"allowed_origins":["https://app.example"],"product_name":"Acme","accent_color":"#6d28d9","logo_url":"https://app.example/logo.svg"}}
            """).Json(HttpStatusCode.OK);
        var (browser, opened) = await OpenAsync(herald, projectId);
        using var _b = browser;
        var cookie = opened.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("herald_console=", StringComparison.Ordinal)).ToLowerInvariant();
        Assert.Contains("samesite=none", cookie);
        Assert.Contains("secure", cookie);
        Assert.Contains("partitioned", cookie);
        Assert.Contains("httponly", cookie);

        var page = await browser.GetAsync("/console/connectors");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.EndsWith("frame-ancestors https://app.example", csp);
        Assert.Contains("img-src 'self' data: https://app.example;", csp);
        Assert.Contains("script-src 'self';", csp);
        Assert.False(page.Headers.Contains("X-Frame-Options"));
        // The anti-forgery and notice cookies follow, or forms could not be posted inside the frame.
        foreach (var set in page.Headers.GetValues("Set-Cookie")) Assert.Contains("samesite=none", set.ToLowerInvariant());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<img src=\"https://app.example/logo.svg\"", html);
        Assert.Contains("Acme", html);
        Assert.Contains("<link rel=\"stylesheet\" href=\"/console/theme.css\">", html);
        var theme = await browser.GetAsync("/console/theme.css");
        Assert.Equal("text/css", theme.Content.Headers.ContentType!.MediaType);
        Assert.Contains("--accent:#6d28d9", await theme.Content.ReadAsStringAsync());

        // A post inside the frame works with those cookies.
        var install = await browser.PostFormAsync("/console/webhooks", new() { ["url"] = "https://hooks.example/in", ["name"] = "framed" }, "/console/webhooks?handler=Create");
        Assert.Equal(HttpStatusCode.SeeOther, install.StatusCode);
        Assert.Contains("Registered framed", await browser.PageAsync("/console/webhooks"));

        // Removing the origins stops framing at once, even for a session that started framed.
        await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """{"portal":null}""").Json(HttpStatusCode.OK);
        var after = await browser.GetAsync("/console/connectors");
        Assert.EndsWith("frame-ancestors 'none'", after.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", after.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task Without_allowed_origins_portal_pages_and_key_sessions_cannot_be_framed_and_keep_strict_cookies()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, PortalSessionTests.Settings());
        var projectId = await ProjectIdAsync(herald);
        var (browser, opened) = await OpenAsync(herald, projectId);
        using var _b = browser;
        Assert.Contains("samesite=strict", opened.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("herald_console=", StringComparison.Ordinal)).ToLowerInvariant());
        var page = await browser.GetAsync("/console");
        Assert.EndsWith("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.DoesNotContain("/console/theme.css", await page.Content.ReadAsStringAsync());

        // Another project's origins do not reach this one's pages, nor a session signed in with a key.
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "other" }).Json(HttpStatusCode.Created)).Str("id");
        await herald.Operator().PatchRaw($"/v1/projects/{other}", """{"portal":{"allowed_origins":["https://app.example"]}}""").Json(HttpStatusCode.OK);
        Assert.EndsWith("frame-ancestors 'none'", (await browser.GetAsync("/console")).Headers.GetValues("Content-Security-Policy").Single());
        await herald.Operator().PatchRaw($"/v1/projects/{projectId}", """{"portal":{"allowed_origins":["https://app.example"]}}""").Json(HttpStatusCode.OK);
        using var keyed = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var keyPage = await keyed.GetAsync("/console");
        Assert.EndsWith("frame-ancestors 'none'", keyPage.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Equal("DENY", keyPage.Headers.GetValues("X-Frame-Options").Single());
    }
}
