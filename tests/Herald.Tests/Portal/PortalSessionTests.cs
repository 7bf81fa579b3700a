using System.Net;
using System.Text.Json;
using Dapper;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Portal;

/// <summary>
/// Portal sessions over HTTP: single-use, short-lived links stored only as hashes, exchanged for the console cookie and a clean URL;
/// ended all at once; what a portal session may and may not do; the project's portal settings, framing and cookies.
/// </summary>
public sealed class PortalSessionTests
{
    private static async Task<(HeraldFactory Herald, FakeTimeProvider Time)> StartAsync(string store, Dictionary<string, string?>? settings = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var herald = await HeraldFactory.CreateAsync(store, settings ?? Settings(), services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        return (herald, time);
    }

    private static async Task<string> ProjectIdAsync(HeraldFactory herald) =>
        (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

    private static async Task<JsonElement> LinkAsync(HttpClient client, string projectId, object? body = null) =>
        await client.PostJson($"/v1/projects/{projectId}/portal-sessions", body ?? new { role = "admin" }).Json(HttpStatusCode.Created);

    /// <summary>A browser-like client (cookie jar, no redirects followed), on https when <paramref name="https"/>.</summary>
    private static HttpClient Browser(HeraldFactory herald, bool https = false) => herald.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
    });

    /// <summary>No delivery worker; hooks.example resolves to a closed loopback port (installs pass the URL checks, nothing is sent).</summary>
    internal static Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = HeraldFactory.ReceiverSettings(9, "hooks.example");
        settings["Herald:Delivery:Worker"] = "false";
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    private static string PathAndQuery(string url) => new Uri(url).PathAndQuery;

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_link_opens_once_into_a_console_session_on_a_clean_url_and_is_stored_only_as_a_hash(string store)
    {
        var (herald, _) = await StartAsync(store);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var link = await LinkAsync(herald.Admin(), projectId, new { role = "admin", expires_in = 1800, return_url = "https://product.example/settings" });
        Assert.Equal("portal_session", link.Str("object"));
        Assert.Equal("admin", link.Str("role"));
        Assert.Equal(1800, link.GetProperty("session_expires_in").GetInt32());
        var url = link.Str("url");
        Assert.StartsWith("http://localhost/console/portal?token=hps_", url);
        var token = url[(url.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        var expires = link.GetProperty("expires_at").GetDateTime();
        Assert.InRange(expires - DateTime.UtcNow, TimeSpan.FromMinutes(9), TimeSpan.FromMinutes(11));

        // Only the SHA-256 of the token is stored.
        await using (var connection = await herald.Services.GetRequiredService<Herald.Storage.Db>().OpenAsync())
        {
            var row = await connection.QuerySingleAsync<(string Hash, string Id)>("SELECT token_hash, id FROM portal_sessions");
            Assert.Equal(Herald.Keys.ApiKeySecret.Hash(token), row.Hash);
            Assert.Equal(link.Str("id"), row.Id);
            foreach (var table in new[] { "portal_sessions", "portal_settings", "api_keys" })
                foreach (var values in await connection.QueryAsync($"SELECT * FROM {table}"))
                    Assert.DoesNotContain(token, string.Join("|", ((IDictionary<string, object?>)values).Values));
        }

        using var browser = Browser(herald);
        var opened = await browser.GetAsync(PathAndQuery(url));
        Assert.Equal(HttpStatusCode.SeeOther, opened.StatusCode);
        Assert.Equal("/console", opened.Headers.Location!.OriginalString); // the token is not in the address the browser keeps
        var cookie = Assert.Single(opened.Headers.GetValues("Set-Cookie"), c => c.StartsWith("herald_console=", StringComparison.Ordinal));
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("partitioned", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("no-referrer", opened.Headers.GetValues("Referrer-Policy").Single());

        var home = await browser.PageAsync("/console");
        Assert.Contains("data-portal-role=\"admin\"", home);
        Assert.Contains("href=\"https://product.example/settings\" target=\"_top\"", home);
        Assert.Contains("Back to product.example", home);
        Assert.DoesNotContain("hk_", home); // no API key shown or behind the session
        Assert.DoesNotContain(projectId, home.Replace($"/v1/projects/{projectId}", ""));

        // The same URL a second time, from any browser, is refused.
        using var other = Browser(herald);
        var again = await other.GetAsync(PathAndQuery(url));
        Assert.Equal(HttpStatusCode.Gone, again.StatusCode);
        Assert.Contains("data-portal-refusal=\"used\"", await again.Content.ReadAsStringAsync());
        Assert.False(again.Headers.Contains("Set-Cookie") && again.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("herald_console=", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.Redirect, (await other.GetAsync("/console")).StatusCode);

        // A token nobody issued, and none at all.
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/console/portal?token=hps_" + new string('a', 48))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/console/portal")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync("/console/portal?token=" + new string('x', 5000))).StatusCode);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Of_many_concurrent_opens_of_one_link_exactly_one_signs_in(string store)
    {
        var (herald, _) = await StartAsync(store);
        await using var _h = herald;
        var link = await LinkAsync(herald.Admin(), await ProjectIdAsync(herald));
        var browsers = Enumerable.Range(0, 8).Select(_ => Browser(herald)).ToList();
        var answers = await Task.WhenAll(browsers.Select(b => b.GetAsync(PathAndQuery(link.Str("url")))));
        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.SeeOther);
        Assert.Equal(7, answers.Count(a => a.StatusCode == HttpStatusCode.Gone));
        foreach (var b in browsers) b.Dispose();
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_link_expires_after_ten_minutes_and_a_session_after_expires_in(string store)
    {
        var (herald, time) = await StartAsync(store);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var late = await LinkAsync(herald.Admin(), projectId, new { role = "member" });
        var session = await LinkAsync(herald.Admin(), projectId, new { role = "member", expires_in = 120 });

        time.Advance(TimeSpan.FromMinutes(9));
        using var browser = Browser(herald);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync(PathAndQuery(session.Str("url")))).StatusCode);
        await browser.PageAsync("/console/deliveries");

        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        using var tooLate = Browser(herald);
        var refused = await tooLate.GetAsync(PathAndQuery(late.Str("url")));
        Assert.Equal(HttpStatusCode.Gone, refused.StatusCode);
        Assert.Contains("data-portal-refusal=\"expired\"", await refused.Content.ReadAsStringAsync());

        // Still inside the 120 s session (opened 61 s ago), then past it: the cookie no longer signs in, whatever it says.
        await browser.PageAsync("/console/deliveries");
        time.Advance(TimeSpan.FromSeconds(60));
        var ended = await browser.GetAsync("/console/deliveries");
        Assert.Equal(HttpStatusCode.Redirect, ended.StatusCode);
        Assert.Equal($"/console/portal/ended?session={session.Str("id")}", ended.Headers.Location!.OriginalString);
        Assert.Contains("Your session has ended", await browser.PageAsync(ended.Headers.Location!.OriginalString));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Delete_ends_every_open_session_and_every_unopened_link_of_the_project(string store)
    {
        var (herald, _) = await StartAsync(store);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var open = await LinkAsync(herald.Admin(), projectId);
        var unopened = await LinkAsync(herald.Operator(), projectId);
        using var browser = Browser(herald);
        Assert.Equal(HttpStatusCode.SeeOther, (await browser.GetAsync(PathAndQuery(open.Str("url")))).StatusCode);
        await browser.PageAsync("/console");

        var ended = await herald.Admin().DeleteAsync($"/v1/projects/{projectId}/portal-sessions").Json(HttpStatusCode.OK);
        Assert.Equal(2, ended.GetProperty("ended").GetInt32());
        var after = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.StartsWith("/console/portal/ended", after.Headers.Location!.OriginalString);
        using var other = Browser(herald);
        var refused = await other.GetAsync(PathAndQuery(unopened.Str("url")));
        Assert.Equal(HttpStatusCode.Gone, refused.StatusCode);
        Assert.Contains("data-portal-refusal=\"ended\"", await refused.Content.ReadAsStringAsync());
        Assert.Equal(0, (await herald.Operator().DeleteAsync($"/v1/projects/{projectId}/portal-sessions").Json(HttpStatusCode.OK)).GetProperty("ended").GetInt32());
    }

    [Fact]
    public async Task Ending_the_session_in_the_console_ends_it_for_good()
    {
        var (herald, _) = await StartAsync(Stores.Sqlite);
        await using var _h = herald;
        var link = await LinkAsync(herald.Admin(), await ProjectIdAsync(herald), new { role = "admin", return_url = "https://product.example/" });
        using var browser = Browser(herald);
        var opened = await browser.GetAsync(PathAndQuery(link.Str("url")));
        var cookie = opened.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("herald_console=", StringComparison.Ordinal)).Split(';')[0];
        var signedOut = await browser.PostFormAsync("/console", new(), "/console/logout");
        Assert.Equal(HttpStatusCode.SeeOther, signedOut.StatusCode);
        var landing = await browser.PageAsync(signedOut.Headers.Location!.OriginalString);
        Assert.Contains("Back to product.example", landing);

        // A copy of the cookie kept from before is refused too: the session itself ended.
        using var replay = herald.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/console");
        request.Headers.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.Redirect, (await replay.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Who_may_create_links_and_what_a_link_request_may_hold()
    {
        var (herald, _) = await StartAsync(Stores.Sqlite);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var path = $"/v1/projects/{projectId}/portal-sessions";
        var member = (await herald.Admin().PostJson($"/v1/projects/{projectId}/keys", new { name = "viewer", role = "member" }).Json(HttpStatusCode.Created)).Str("key");
        await herald.ClientWithKey(member).PostJson(path, new { role = "member" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        await herald.ClientWithKey(member).DeleteAsync(path).Problem(HttpStatusCode.Forbidden, "forbidden");
        await herald.Anonymous().PostJson(path, new { }).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "other" }).Json(HttpStatusCode.Created)).Str("id");
        await herald.Admin().PostJson($"/v1/projects/{other}/portal-sessions", new { }).Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Admin().DeleteAsync($"/v1/projects/{other}/portal-sessions").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Operator().PostJson("/v1/projects/prj_nope/portal-sessions", new { }).Problem(HttpStatusCode.NotFound, "not_found");

        var defaults = await LinkAsync(herald.Operator(), projectId, new { });
        Assert.Equal("member", defaults.Str("role"));
        Assert.Equal(3600, defaults.GetProperty("session_expires_in").GetInt32());
        Assert.Equal(JsonValueKind.Null, defaults.GetProperty("return_url").ValueKind);

        var admin = herald.Admin();
        await admin.PostJson(path, new { role = "owner" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "role");
        await admin.PostJson(path, new { expires_in = 59 }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "expires_in");
        await admin.PostJson(path, new { expires_in = 86_401 }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "expires_in");
        foreach (var bad in new[] { "http://product.example/", "javascript:alert(1)", "https://user:pw@product.example/", "/relative", "https://product.example/\"><x", " ", "data:text/html,x", "http://127.0.0.1/back" })
            await admin.PostJson(path, new { return_url = bad }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "return_url");
        await admin.PostRaw(path, """{"role":"admin","expires_in":"3600"}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "expires_in");
        await admin.PostRaw(path, """{"role":"admin","scope":"all"}""").Problem(HttpStatusCode.BadRequest, "unknown_field", "scope");
        Assert.Equal(1, (await admin.DeleteAsync(path).Json(HttpStatusCode.OK)).GetProperty("ended").GetInt32()); // only the good one exists
    }

    [Fact]
    public async Task Loopback_http_return_urls_and_origins_need_allow_http()
    {
        var (herald, _) = await StartAsync(Stores.Sqlite, Settings(("Herald:Delivery:AllowHttp", "true")));
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var link = await LinkAsync(herald.Admin(), projectId, new { return_url = "http://127.0.0.1:8080/back" });
        Assert.Equal("http://127.0.0.1:8080/back", link.Str("return_url"));
        await herald.Admin().PostJson($"/v1/projects/{projectId}/portal-sessions", new { return_url = "http://product.example/" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "return_url");
        await herald.Admin().PatchRaw($"/v1/projects/{projectId}", """{"portal":{"allowed_origins":["http://localhost:3000"]}}""").Json(HttpStatusCode.OK);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_member_portal_session_changes_nothing_and_sees_no_keys(string store)
    {
        var (herald, _) = await StartAsync(store);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var admin = herald.Admin();
        var webhook = await admin.CreateDestinationAsync(new { kind = "webhook", name = "orders", url = "https://hooks.example/in" });
        var link = await LinkAsync(admin, projectId, new { role = "member" });
        using var browser = Browser(herald);
        await browser.GetAsync(PathAndQuery(link.Str("url")));

        var home = await browser.PageAsync("/console/connectors");
        Assert.Contains("data-portal-role=\"member\"", home);
        Assert.DoesNotContain("/console/keys", home);
        foreach (var (page, fields, handler) in new (string, Dictionary<string, string>, string)[]
        {
            ("/console", new() { ["slug"] = "slack", ["url"] = "https://hooks.slack.com/services/T0/B0/x" }, "Install"),
            ("/console/connectors", new() { ["id"] = webhook }, "Delete"),
            ("/console/connectors", new() { ["id"] = webhook }, "Toggle"),
            ("/console/webhooks", new() { ["url"] = "https://hooks.example/second" }, "Create"),
            ($"/console/destinations/{webhook}", new() { ["name"] = "renamed", ["status"] = "active" }, ""),
            ("/console/keys", new() { ["name"] = "sneaky", ["role"] = "admin" }, "Create"),
        })
        {
            var form = await browser.GetAsync(page);
            if (form.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal("/console/keys", page); // only the keys page is closed to members altogether
                Assert.NotEqual(HttpStatusCode.OK, form.StatusCode);
                continue;
            }
            fields["__RequestVerificationToken"] = ConsoleClient.TokenOf(await form.Content.ReadAsStringAsync());
            var posted = await browser.PostAsync(handler.Length == 0 ? page : $"{page}?handler={handler}", new FormUrlEncodedContent(fields));
            Assert.Equal(HttpStatusCode.SeeOther, posted.StatusCode);
            Assert.Contains("read-only access", await browser.PageAsync(posted.Headers.Location!.OriginalString));
        }
        var destinations = (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data");
        var only = Assert.Single(destinations.EnumerateArray());
        Assert.Equal("orders", only.Str("name"));
        Assert.Equal("active", only.Str("status"));
        Assert.Single((await admin.GetAsync($"/v1/projects/{projectId}/keys").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());
    }

    [Fact]
    public async Task The_console_cookie_is_not_an_api_credential()
    {
        var (herald, _) = await StartAsync(Stores.Sqlite);
        await using var _h = herald;
        var projectId = await ProjectIdAsync(herald);
        var link = await LinkAsync(herald.Admin(), projectId);
        using var browser = Browser(herald);
        await browser.GetAsync(PathAndQuery(link.Str("url")));
        await browser.PageAsync("/console");
        await browser.GetAsync("/v1/destinations").Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await browser.PostJson($"/v1/projects/{projectId}/portal-sessions", new { }).Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }
}
