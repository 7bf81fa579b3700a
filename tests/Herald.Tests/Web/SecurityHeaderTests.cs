using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Web;

/// <summary>Security headers on API, console and /docs answers; no-store on answers that reveal a secret; proxies; the Data Protection key ring.</summary>
public sealed class SecurityHeaderTests
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content) : "";

    private static void AssertBaseline(HttpResponseMessage response, string what)
    {
        Assert.True(Header(response, "X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options");
        Assert.True(Header(response, "Referrer-Policy") == "no-referrer", $"{what}: Referrer-Policy");
        Assert.True(Header(response, "X-Frame-Options") == "DENY", $"{what}: X-Frame-Options is '{Header(response, "X-Frame-Options")}'");
        Assert.Contains("frame-ancestors 'none'", Header(response, "Content-Security-Policy"));
    }

    private static void AssertNoStore(HttpResponseMessage response, string what) =>
        Assert.True(response.Headers.CacheControl?.NoStore == true, $"{what} must carry Cache-Control: no-store (got '{response.Headers.CacheControl}')");

    [Fact]
    public async Task Api_console_and_docs_answers_carry_the_headers_and_secret_answers_are_not_stored()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, HeraldFactory.ReceiverSettings(receiver.Port, "receiver.test"));
        var admin = herald.Admin();

        var me = await admin.GetAsync("/v1/me");
        AssertBaseline(me, "GET /v1/me");
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", Header(me, "Content-Security-Policy"));
        AssertNoStore(me, "GET /v1/me");
        var refused = await herald.Anonymous().GetAsync("/v1/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        AssertBaseline(refused, "a 401");

        // Answers that reveal a secret once.
        var projectId = (await me.Json(HttpStatusCode.OK)).Str("project_id");
        var key = await admin.PostAsJsonAsync($"/v1/projects/{projectId}/keys", new { name = "ci", role = "member" });
        Assert.Equal(HttpStatusCode.Created, key.StatusCode);
        AssertNoStore(key, "key creation");
        var destination = await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://receiver.test/in" });
        Assert.Equal(HttpStatusCode.Created, destination.StatusCode);
        AssertNoStore(destination, "destination creation");
        var id = (await destination.Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");
        var install = await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "custom-webhook", url = "https://receiver.test/m" });
        Assert.Equal(HttpStatusCode.Created, install.StatusCode);
        AssertNoStore(install, "marketplace install");
        var registered = await admin.PostJson($"/projects/{projectId}/integrations/webhooks", new { url = "https://receiver.test/s", events = new[] { "db.*" } });
        Assert.Equal(HttpStatusCode.Created, registered.StatusCode);
        AssertNoStore(registered, "seed 002 webhook registration");
        var operatorProject = await herald.Operator().PostJson("/v1/projects", new { name = "second" });
        AssertNoStore(operatorProject, "project creation");
        var rotated = await admin.PostJson($"/v1/destinations/{id}/rotate-secret", new { });
        AssertNoStore(rotated, $"secret rotation ({(int)rotated.StatusCode})");

        // The console: a strict policy.
        var login = await herald.Anonymous().GetAsync("/console/login");
        AssertBaseline(login, "the console");
        AssertNoStore(login, "the console");
        Assert.Contains("script-src 'self'", Header(login, "Content-Security-Policy"));

        // /docs: only what Herald itself serves.
        var docs = await herald.Anonymous().GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        AssertBaseline(docs, "/docs");
        var docsPolicy = Header(docs, "Content-Security-Policy");
        Assert.Contains("default-src 'self'", docsPolicy);
        Assert.DoesNotContain("http", docsPolicy);
    }

    [Fact]
    public async Task An_operator_can_allow_one_origin_to_frame_the_console()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Console:FrameAncestors:0"] = "https://admin.example.com" });
        var login = await herald.Anonymous().GetAsync("/console/login");
        Assert.Contains("frame-ancestors https://admin.example.com", Header(login, "Content-Security-Policy"));
        Assert.False(login.Headers.Contains("X-Frame-Options"));
    }

    [Theory]
    [InlineData("Herald__Console__FrameAncestors__0", "https://a.example.com; script-src *", "Herald:Console:FrameAncestors:0")]
    [InlineData("Herald__ForwardedHeaders__KnownProxies__0", "proxy.local", "Herald:ForwardedHeaders:KnownProxies:0")]
    [InlineData("Herald__ForwardedHeaders__KnownNetworks__0", "10.0.0.0/99", "Herald:ForwardedHeaders:KnownNetworks:0")]
    public async Task A_bad_web_setting_stops_start_with_a_message_naming_it(string variable, string value, string setting)
    {
        var directory = Directory.CreateTempSubdirectory("herald-opt-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?> { [variable] = value });
        Assert.Equal(1, await herald.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(setting, herald.Output);
        Assert.DoesNotContain("   at ", herald.Output);
    }

    /// <summary>Signs in over plain HTTP, saying X-Forwarded-Proto: https, and returns the session cookie's Set-Cookie line.</summary>
    private static async Task<string> SessionCookieAsync(HeraldProcess herald)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = herald.BaseAddress };
        using var form = new HttpRequestMessage(HttpMethod.Get, "/console/login");
        form.Headers.Add("X-Forwarded-Proto", "https");
        var page = await client.SendAsync(form);
        var cookies = page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).ToList();
        using var post = new HttpRequestMessage(HttpMethod.Post, "/console/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["key"] = HeraldFactory.AdminKey,
                ["__RequestVerificationToken"] = ConsoleClient.TokenOf(await page.Content.ReadAsStringAsync()),
            }),
        };
        post.Headers.Add("X-Forwarded-Proto", "https");
        post.Headers.Add("Cookie", string.Join("; ", cookies));
        var signedIn = await client.SendAsync(post);
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        return signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("herald_console=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Behind_a_configured_proxy_the_console_cookie_is_secure_and_otherwise_the_header_is_not_believed()
    {
        var environment = new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__ForwardedHeaders__KnownProxies__0"] = "127.0.0.1",
        };
        await using (var proxied = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-proxy-").FullName, environment))
        {
            await proxied.WaitUntilHealthyAsync();
            Assert.Contains("; secure", await SessionCookieAsync(proxied), StringComparison.OrdinalIgnoreCase);
        }

        environment.Remove("Herald__ForwardedHeaders__KnownProxies__0");
        environment["Herald__ForwardedHeaders__KnownNetworks__0"] = "10.0.0.0/8"; // a proxy that is not the sender
        await using (var other = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-proxy-").FullName, environment))
        {
            await other.WaitUntilHealthyAsync();
            Assert.DoesNotContain("; secure", await SessionCookieAsync(other), StringComparison.OrdinalIgnoreCase);
        }

        environment.Remove("Herald__ForwardedHeaders__KnownNetworks__0"); // the default: no proxy, nobody believed
        await using var direct = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-proxy-").FullName, environment);
        await direct.WaitUntilHealthyAsync();
        Assert.DoesNotContain("; secure", await SessionCookieAsync(direct), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_data_protection_key_ring_is_sealed_with_the_master_key_and_start_up_does_not_warn()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey); // creates and uses a key
        Assert.Contains("Marketplace", await console.PageAsync("/console"));

        Assert.DoesNotContain(herald.Logs.Lines, l => l.Contains("unencrypted", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(herald.Logs.Lines, l => l.StartsWith("Warning Microsoft.AspNetCore.DataProtection", StringComparison.Ordinal));
        var files = Directory.GetFiles(Path.Combine(herald.DataDirectory, "data-protection"), "*.xml");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var xml = await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken);
            Assert.DoesNotContain("<masterKey", xml);
            Assert.Matches("<sealed[^>]*>v1\\.mk_", xml);
        }

        // After a restart on the same data directory the sealed key still opens: the session survives.
        await using var restarted = herald.Restart();
        var again = restarted.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/console/login")).StatusCode);
    }
}
