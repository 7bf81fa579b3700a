using System.Net;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Security;

/// <summary>One Herald for the whole corpus: install-time URL checks do not depend on the store.</summary>
public sealed class HostileUrlFixture : IAsyncLifetime
{
    public HeraldFactory Herald { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:AllowedNetworks:0"] = "10.20.0.0/16" },
            services => services.AddSingleton<HostResolver>(provider =>
            {
                var resolver = new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>());
                resolver.Answers["good.example.com"] = [IPAddress.Parse("93.184.216.34")];
                resolver.Answers["evil.example.com"] = [IPAddress.Parse("10.0.0.5")];
                resolver.Answers["metadata.example.com"] = [IPAddress.Parse("169.254.169.254")];
                resolver.Answers["mixed.example.com"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("127.0.0.1")];
                resolver.Answers["v6evil.example.com"] = [IPAddress.IPv6Loopback];
                resolver.Answers["mapped.example.com"] = [IPAddress.Parse("::ffff:10.0.0.1")];
                resolver.Answers["cgnat.example.com"] = [IPAddress.Parse("100.100.100.100")];
                resolver.Answers["exempt.example.com"] = [IPAddress.Parse("10.20.5.5")];
                resolver.Answers["translated.example.com"] = [IPAddress.Parse("::ffff:0:169.254.169.254")];
                resolver.Answers["translated-lo.example.com"] = [IPAddress.Parse("93.184.216.34"), IPAddress.Parse("::ffff:0:127.0.0.1")];
                resolver.Answers["orchid.example.com"] = [IPAddress.Parse("2001:20::1")];
                resolver.Answers["srv6.example.com"] = [IPAddress.Parse("5f00::1")];
                resolver.Answers["doc3.example.com"] = [IPAddress.Parse("3fff::1")];
                resolver.Answers["nat64local.example.com"] = [IPAddress.Parse("64:ff9b:1::5db8:d822")];
                resolver.Answers["v6good.example.com"] = [IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946")];
                return resolver;
            }));
        _ = Herald.Server;
    }

    private (string Destination, string Connector, string Webhook)? _seeded;
    private readonly SemaphoreSlim _seeding = new(1, 1);

    /// <summary>One destination per update surface, on a good URL, created once.</summary>
    public async Task<(string Destination, string Connector, string Webhook)> SeededAsync()
    {
        await _seeding.WaitAsync();
        try
        {
            if (_seeded is { } seeded) return seeded;
            var admin = Herald.Admin();
            var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
            var destination = await admin.CreateDestinationAsync(new { kind = "webhook", name = "seed", url = "https://good.example.com/a" });
            var connector = (await admin.PostJson("/api/v1/connectors", new { type = "generic", name = "seed", config = new { url = "https://good.example.com/b", method = "POST" } })
                .Json(HttpStatusCode.Created)).Str("id");
            var webhook = (await admin.PostJson($"/projects/{project}/integrations/webhooks", new { url = "https://good.example.com/c", events = new[] { "*" } })
                .Json(HttpStatusCode.Created)).Str("id");
            _seeded = (destination, connector, webhook);
            return _seeded.Value;
        }
        finally
        {
            _seeding.Release();
        }
    }

    public async ValueTask DisposeAsync() => await Herald.DisposeAsync();
}

public sealed class HostileUrlTests(HostileUrlFixture fixture) : IClassFixture<HostileUrlFixture>
{
    public static TheoryData<string> HostileWebhookUrls => new(
        // scheme, shape, length
        "http://good.example.com/hook", "ftp://good.example.com/x", "javascript:alert(1)", "file:///etc/passwd",
        "https://user:pass@good.example.com/hook", "https://user@good.example.com/hook", "https://good.example.com/hook#frag",
        "https:///nohost", "not a url", "", "   ", "https://exa mple.com/", "https://good.example.com\\@evil.example.com/",
        "https://good.example.com/" + new string('a', 3000),
        // IPv4 ranges
        "https://127.0.0.1/", "https://127.255.255.254/x", "https://0.0.0.0/", "https://0.1.2.3/", "https://10.0.0.1/",
        "https://10.255.255.255/", "https://172.16.0.1/", "https://172.31.255.255/", "https://192.168.1.1/", "https://100.64.0.1/",
        "https://100.127.255.255/", "https://169.254.169.254/latest/meta-data/", "https://169.254.0.1/", "https://192.0.0.1/",
        "https://192.0.2.1/", "https://198.51.100.1/", "https://203.0.113.1/", "https://198.18.0.1/", "https://198.19.255.255/",
        "https://224.0.0.1/", "https://239.255.255.250/", "https://240.0.0.1/", "https://255.255.255.255/", "https://10.21.0.1/",
        "https://127.0.0.1:8443/hook",
        // numeric spellings that resolvers turn into blocked addresses
        "https://2130706433/", "https://0177.0.0.1/", "https://0x7f.1/", "https://0x7f000001/", "https://127.1/", "https://127.0.1/",
        "https://017700000001/", "https://0xa9.0xfe.0xa9.0xfe/", "https://3232235777/", "https://127.0.0.1./", "https://0/",
        "https://0x7F.0.0.1/", "https://127.000.000.001/",
        // IPv6, and IPv6 forms that carry a blocked IPv4 address
        "https://[::1]/", "https://[::]/", "https://[0:0:0:0:0:0:0:1]/", "https://[fc00::1]/", "https://[fd12:3456:789a::1]/",
        "https://[fe80::1]/", "https://[ff02::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/",
        "https://[::ffff:169.254.169.254]/", "https://[64:ff9b::7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:7f00:1::]/",
        "https://[2002:c0a8:101::1]/", "https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "https://[::127.0.0.1]/",
        "https://[2001:db8::1]/", "https://[fec0::1]/", "https://[64:ff9b:1::a00:1]/",
        // the IPv4-translated prefix ::ffff:0:0:0/96 (RFC 2765), judged by the IPv4 inside
        "https://[::ffff:0:169.254.169.254]/", "https://[::ffff:0:a9fe:a9fe]/", "https://[::ffff:0:127.0.0.1]/", "https://[::ffff:0:10.0.0.1]/",
        "https://[::ffff:0:0.0.0.0]/", "https://[::ffff:0:192.168.1.1]/", "https://[::ffff:0:100.64.0.1]/", "https://[0:0:0:0:ffff:0:7f00:1]/",
        // local-use NAT64 with any IPv4 inside, and the IPv4 inside it in the /48 layout
        "https://[64:ff9b:1::5db8:d822]/", "https://[64:ff9b:1:a9fe:a9:fe00::]/",
        // IANA special-purpose ranges that are not globally reachable
        "https://[2001:2::1]/", "https://[2001:10::1]/", "https://[2001:20::1]/", "https://[2001:2f::1]/", "https://[2001:0:5db8:d822::1]/",
        "https://[2001:1::4]/", "https://[3fff::1]/", "https://[3fff:fff::1]/", "https://[5f00::1]/", "https://[100::1]/", "https://[100:0:0:1::1]/",
        "https://[4000::1]/", "https://[::2]/", "https://[fc00::1]:8443/", "https://[ff0e::1]/",
        // port 0
        "https://good.example.com:0/hook", "https://93.184.216.34:0/", "https://[2606:2800:220:1:248:1893:25c8:1946]:0/",
        // internal names
        "https://localhost/", "https://LOCALHOST/", "https://localhost./", "https://api.localhost/", "https://printer.local/",
        "https://metadata.google.internal/", "https://db.internal/", "https://router.localdomain/", "https://nas.home.arpa/",
        "https://intranet/", "https://good.example.com./", "https://svc.corp\u3002internal/", "https://metadata.google.internal\uFF0E/",
        // names that resolve to blocked addresses
        "https://evil.example.com/", "https://metadata.example.com/", "https://mixed.example.com/", "https://v6evil.example.com/",
        "https://mapped.example.com/", "https://cgnat.example.com/", "https://unresolvable.example.com/",
        "https://translated.example.com/", "https://translated-lo.example.com/", "https://orchid.example.com/", "https://srv6.example.com/",
        "https://doc3.example.com/", "https://nat64local.example.com/");

    [Theory, MemberData(nameof(HostileWebhookUrls))]
    public async Task A_hostile_custom_webhook_url_is_refused_naming_url_and_nothing_is_stored(string url)
    {
        var response = await fixture.Herald.Admin().PostJson("/v1/destinations", new { kind = "webhook", name = "x", url });
        var problem = await response.Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "url");
        if (url.Trim().Length > 8) Assert.DoesNotContain(url, problem.ToString());
        var list = await fixture.Herald.Admin().GetAsync("/v1/destinations?kind=webhook").Json(HttpStatusCode.OK);
        Assert.DoesNotContain(list.GetProperty("data").EnumerateArray(), d => d.Str("name") == "x");
    }

    public static TheoryData<string, string> WrongHostsForManagedKinds => new()
    {
        { "slack", "https://hooks.slack.com.evil.example.com/services/T0/B0/XXXX" },
        { "slack", "https://good.example.com/services/T0/B0/XXXX" },
        { "slack", "http://hooks.slack.com/services/T0/B0/XXXX" },
        { "slack", "https://hooks.slack.com/other/T0/B0/XXXX" },
        { "slack", "https://hooks.slack.com:8443/services/T0/B0/XXXX" },
        { "slack", "https://user@hooks.slack.com/services/T0/B0/XXXX" },
        { "discord", "https://discord.com/not-webhooks/1/abc" },
        { "discord", "https://evil.example.com/api/webhooks/1/abc" },
        { "discord", "https://discord.com.evil.example.com/api/webhooks/1/abc" },
        { "teams", "https://logic.azure.com.evil.example.com/workflows/x" },
        { "teams", "https://logic.azure.com/workflows/x" },
        { "teams", "https://prod-01.westus.logic.azure.com/other" },
        { "zapier", "https://hooks.zapier.com/hooks/other/1/a" },
        { "zapier", "https://zapier.com/hooks/catch/1/a" },
    };

    [Theory, MemberData(nameof(WrongHostsForManagedKinds))]
    public async Task A_managed_connector_url_must_match_its_pinned_host_and_path(string kind, string url)
    {
        var response = await fixture.Herald.Admin().PostJson("/v1/destinations", new { kind, url });
        await response.Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "url");
    }

    public static TheoryData<string, string> AcceptedUrls => new()
    {
        { "webhook", "https://good.example.com/hook?team=1" },
        { "webhook", "https://93.184.216.34:8443/hook" },
        { "webhook", "https://exempt.example.com/hook" },
        { "webhook", "https://10.20.1.1/hook" },
        { "webhook", "https://[2606:2800:220:1:248:1893:25c8:1946]/hook" },
        { "webhook", "https://v6good.example.com/hook" },
        { "webhook", "https://[64:ff9b::5db8:d822]/hook" },
        { "webhook", "https://[::ffff:0:93.184.216.34]/hook" },
        { "webhook", "https://[2002:5db8:d822::1]/hook" },
        { "webhook", "https://[2001:4:112::1]/hook" },
        { "slack", "https://hooks.slack.com/services/T0/B0/XXXX" },
        { "discord", "https://discord.com/api/webhooks/123/abc-DEF_9" },
        { "discord", "https://ptb.discord.com/api/v10/webhooks/123/abc" },
        { "teams", "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x" },
        { "teams", "https://contoso.webhook.office.com/webhookb2/abc" },
        { "zapier", "https://hooks.zapier.com/hooks/catch/123/abcdef/" },
    };

    [Theory, MemberData(nameof(AcceptedUrls))]
    public async Task Public_and_operator_exempted_destinations_are_accepted_and_shown_by_host_and_fingerprint(string kind, string url)
    {
        var created = await fixture.Herald.Admin().PostJson("/v1/destinations", new { kind, name = "ok", url }).Json(HttpStatusCode.Created);
        var destination = created.GetProperty("destination");
        Assert.Equal(new Uri(url).IdnHost, destination.Str("destination_host"));
        Assert.Matches("^mkfp_[0-9a-f]{12}$", destination.Str("secret_fingerprint"));
        Assert.DoesNotContain(url, created.ToString());
        await (await fixture.Herald.Admin().DeleteAsync($"/v1/destinations/{destination.Str("id")}")).Json(HttpStatusCode.NoContent);
    }

    /// <summary>Every other route that sets a custom destination's URL: (method, path, body, field), built for one URL.</summary>
    private async Task<List<(HttpMethod Method, string Path, object Body, string Field)>> OtherSurfacesAsync(string url)
    {
        var admin = fixture.Herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var ids = await fixture.SeededAsync();
        return
        [
            (HttpMethod.Patch, $"/v1/destinations/{ids.Destination}", new { url }, "url"),
            (HttpMethod.Post, "/api/v1/connectors", new { type = "generic", name = "x", config = new { url, method = "POST" } }, "config.url"),
            (HttpMethod.Put, $"/api/v1/connectors/{ids.Connector}", new { config = new { url } }, "config.url"),
            (HttpMethod.Patch, $"/api/v1/connectors/{ids.Connector}", new { config = new { url } }, "config.url"),
            (HttpMethod.Post, $"/projects/{project}/integrations/webhooks", new { url, events = new[] { "*" } }, "url"),
            (HttpMethod.Put, $"/projects/{project}/integrations/webhooks/{ids.Webhook}", new { url }, "url"),
            (HttpMethod.Post, "/v2/marketplace/installations", new { listing_slug = "custom-webhook", name = "x", url }, "url"),
        ];
    }

    [Theory, MemberData(nameof(HostileWebhookUrls))]
    public async Task A_hostile_url_is_refused_on_every_other_create_and_update_route_and_nothing_changes(string url)
    {
        var admin = fixture.Herald.Admin();
        var surfaces = await OtherSurfacesAsync(url);
        var before = (await admin.GetAsync("/v1/destinations?limit=200").Json(HttpStatusCode.OK)).ToString();
        foreach (var (method, path, body, field) in surfaces)
        {
            using var request = new HttpRequestMessage(method, path) { Content = System.Net.Http.Json.JsonContent.Create(body) };
            var response = await admin.SendAsync(request);
            var problem = await response.Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", field);
            if (url.Trim().Length > 8) Assert.DoesNotContain(url, problem.ToString());
        }
        Assert.Equal(before, (await admin.GetAsync("/v1/destinations?limit=200").Json(HttpStatusCode.OK)).ToString());
    }
}
