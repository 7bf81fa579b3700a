using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>Seed 001 (connectors API) replayed through HTTP, with rich formats delivered to loopback receivers.</summary>
public sealed class ConnectorsTests
{
    internal static async Task<(HeraldFactory, TestReceiver)> StartAsync(string store, Dictionary<string, string?>? extra = null)
    {
        var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com", "discord.com", "prod-01.westus.logic.azure.com", "hooks.zapier.com");
        settings["Herald:Delivery:Resolve:4"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return (await HeraldFactory.CreateAsync(store, settings), receiver);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Every_request_of_the_connectors_seed_works_as_written(string store)
    {
        var (herald, receiver) = await StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();

        var types = await admin.GetAsync("/api/v1/connectors/types").Json(HttpStatusCode.OK);
        var byType = types.GetProperty("data").EnumerateArray().ToDictionary(t => t.Str("type"));
        // The seed's five types, as its table lists them; the message broker kinds follow them.
        Assert.Equal(["slack", "discord", "teams", "zapier", "generic", "rabbitmq", "nats"], byType.Keys);
        Assert.Equal(["webhook_url"], byType["slack"].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["url", "method"], byType["generic"].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("Post to Microsoft Teams channels via Adaptive Cards", byType["teams"].Str("description"));

        // The seed's create example, as written
        var created = await admin.PostRaw("/api/v1/connectors", """
            {
            "type": "slack",
            "name": "Engineering Channel",
            "config": {
            "webhook_url": "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXX"
            },
            "events": ["promise.status_changed"],
            "filters": {
            "categories": ["tech-product"]
            }
            }
            """).Json(HttpStatusCode.Created);
        var uuid = created.Str("uuid");
        Assert.True(Guid.TryParse(uuid, out _));
        Assert.Equal("slack", created.Str("type"));
        Assert.Equal("Engineering Channel", created.Str("name"));
        Assert.Equal(["promise.status_changed"], created.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["tech-product"], created.GetProperty("filters").GetProperty("categories").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("hooks.slack.com", created.GetProperty("config").Str("destination_host"));
        Assert.DoesNotContain("XXXXXXXX", created.GetRawText());

        var listed = await admin.GetAsync("/api/v1/connectors").Json(HttpStatusCode.OK);
        Assert.Contains(listed.GetProperty("data").EnumerateArray(), c => c.Str("uuid") == uuid);

        // The same destination is visible through the marketplace and Herald's own API
        Assert.Equal("slack", (await admin.GetAsync($"/v2/marketplace/installations/mki_{Guid.Parse(uuid):N}").Json(HttpStatusCode.OK)).Str("listing_slug"));
        Assert.Equal("Engineering Channel", (await admin.DestinationAsync(uuid)).Str("name"));

        // Test, then an event that matches the filter gets Block Kit
        var test = await admin.PostAsync($"/api/v1/connectors/{uuid}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("delivered_200", test.Str("status"));
        var e = await admin.PublishAsync("promise.status_changed",
            new { promise = "Lower taxes <!channel>", status = "broken", url = "https://example.com/p/1" }, new { categories = new[] { "tech-product" } });
        Assert.Equal(1, e.GetProperty("deliveries").GetInt32());
        var skipped = await admin.PublishAsync("promise.status_changed", new { status = "kept" }, new { categories = new[] { "sports" } });
        Assert.Equal(0, skipped.GetProperty("deliveries").GetInt32());
        var blockKit = JsonDocument.Parse((await receiver.WaitForAsync(2))[1].Body).RootElement;
        var blocks = blockKit.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].Str("type"));
        Assert.Contains(blocks, b => b.Str("type") == "section" && b.TryGetProperty("fields", out _));
        Assert.Contains(blocks, b => b.Str("type") == "context");
        Assert.Equal("https://example.com/p/1", blocks.Single(b => b.Str("type") == "actions").GetProperty("elements")[0].Str("url"));
        Assert.DoesNotContain("<!channel>", blockKit.GetRawText());
        Assert.False(string.IsNullOrEmpty(blockKit.Str("text")));

        // Update (PUT and PATCH) and delete
        var put = await admin.PutAsync($"/api/v1/connectors/{uuid}", System.Net.Http.Json.JsonContent.Create(new
        {
            name = "Eng", events = new[] { "promise.status_changed", "db.*" }, filters = new { categories = Array.Empty<string>() },
        })).Json(HttpStatusCode.OK);
        Assert.Equal("Eng", put.Str("name"));
        Assert.Equal(2, put.GetProperty("events").GetArrayLength());
        var paused = await admin.PatchRaw($"/api/v1/connectors/{uuid}", """{"active":false}""").Json(HttpStatusCode.OK);
        Assert.False(paused.GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/connectors/{uuid}")).StatusCode);
        await admin.GetAsync($"/api/v1/connectors/{uuid}").Problem(HttpStatusCode.NotFound, "not_found");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Each_type_delivers_its_format(string store)
    {
        var (herald, receiver) = await StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path.StartsWithSegments("/workflows") ? 202 : 200;
            return Task.CompletedTask;
        };
        var connectors = new Dictionary<string, object>
        {
            ["discord"] = new { type = "discord", name = "d", config = new { webhook_url = "https://discord.com/api/webhooks/1/abc" } },
            ["teams"] = new { type = "teams", name = "t", config = new { webhook_url = "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=s" } },
            ["zapier"] = new { type = "zapier", name = "z", config = new { webhook_url = "https://hooks.zapier.com/hooks/catch/123/abcdef/" } },
            ["generic"] = new
            {
                type = "generic", name = "g",
                config = new { url = $"https://receiver.test:{receiver.Port}/generic", method = "PATCH", headers = new Dictionary<string, string> { ["X-Team"] = "core" } },
            },
        };
        var ids = new Dictionary<string, string>();
        foreach (var (type, body) in connectors)
            ids[type] = (await admin.PostJson("/api/v1/connectors", body).Json(HttpStatusCode.Created)).Str("uuid");

        await admin.PublishAsync("promise.status_changed", new { project_id = "prj_x", status = "kept", details = new { score = 9 } });
        var received = await receiver.WaitForAsync(4);
        var discord = JsonDocument.Parse(received.Single(r => r.PathAndQuery.StartsWith("/api/webhooks")).Body).RootElement;
        var embed = discord.GetProperty("embeds")[0];
        Assert.Equal(0x2ECC71, embed.GetProperty("color").GetInt32()); // kept → green
        Assert.True(embed.TryGetProperty("timestamp", out _));
        Assert.Equal(0, discord.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());

        var teams = JsonDocument.Parse(received.Single(r => r.PathAndQuery.StartsWith("/workflows")).Body).RootElement;
        Assert.Equal("message", teams.Str("type"));
        Assert.Equal("application/vnd.microsoft.card.adaptive", teams.GetProperty("attachments")[0].Str("contentType"));
        Assert.Equal("1.4", teams.GetProperty("attachments")[0].GetProperty("content").Str("version"));

        var zap = JsonDocument.Parse(received.Single(r => r.PathAndQuery.StartsWith("/hooks/catch")).Body).RootElement;
        Assert.Equal("prj_x", zap.Str("data__project_id"));
        Assert.Equal(9, zap.GetProperty("data__details__score").GetInt32());
        Assert.All(zap.EnumerateObject(), p => Assert.NotEqual(JsonValueKind.Object, p.Value.ValueKind));

        var generic = received.Single(r => r.PathAndQuery == "/generic");
        Assert.Equal("PATCH", generic.Method);
        Assert.Equal("core", generic.Headers["x-team"]);
        Assert.StartsWith("v1,", generic.Headers["webhook-signature"]);

        await Eventually.TrueAsync(async () => (await admin.GetAsync($"/api/v1/connectors/{ids["teams"]}").Json(HttpStatusCode.OK))
            .Str("last_delivery_status") == "delivered_202", "a 202 from Teams counts as delivered");
    }

    public static TheoryData<string, HttpStatusCode, string, string> BadConnectors => new()
    {
        { """{"type":"myspace","name":"x","config":{"webhook_url":"https://hooks.slack.com/services/T0/B0/X"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "type" },
        { """{"type":"slack","config":{"webhook_url":"https://hooks.slack.com/services/T0/B0/X"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "name" },
        { """{"type":"slack","name":"x"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config" },
        { """{"type":"slack","name":"x","config":{}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.webhook_url" },
        { """{"type":"slack","name":"x","config":{"webhook_url":"https://evil.example.com/services/T0/B0/X"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.webhook_url" },
        { """{"type":"slack","name":"x","config":{"webhook_url":"https://hooks.slack.com/services/T0/B0/X"},"events":["promise.status_changd"]}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "events[0]" },
        { """{"type":"generic","name":"x","config":{"url":"https://93.184.216.34/x"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.method" },
        { """{"type":"generic","name":"x","config":{"url":"https://93.184.216.34/x","method":"DELETE"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.method" },
        { """{"type":"generic","name":"x","config":{"url":"https://10.0.0.1/x","method":"POST"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.url" },
        { """{"type":"slack","name":"x","config":{"webhook_url":"https://hooks.slack.com/services/T0/B0/X","token":"t"}}""", HttpStatusCode.BadRequest, "unknown_field", "config.token" },
        { """{"type":"slack","name":"x","config":"https://hooks.slack.com/services/T0/B0/X"}""", HttpStatusCode.BadRequest, "invalid_type", "config" },
    };

    [Theory, MemberData(nameof(BadConnectors))]
    public async Task Bad_connectors_are_refused_naming_the_field(string body, HttpStatusCode status, string code, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        await herald.Admin().PostRaw("/api/v1/connectors", body).Problem(status, code, field);
        Assert.Equal(0, (await herald.Admin().GetAsync("/api/v1/connectors").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Tier_limits_count_every_destination_whichever_route_created_it(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" });
        var project = (await herald.Operator().PostJson("/v1/projects", new { name = "p", plan = "pro" }).Json(HttpStatusCode.Created)).Str("id");
        var admin = herald.ClientWithKey((await herald.Operator().PostJson($"/v1/projects/{project}/keys", new { name = "a", role = "admin" })
            .Json(HttpStatusCode.Created)).Str("key"));
        const string slack = "https://hooks.slack.com/services/T0/B0/X";
        await admin.PostJson("/api/v1/connectors", new { type = "slack", name = "1", config = new { webhook_url = slack } }).Json(HttpStatusCode.Created);
        await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "slack", url = slack }).Json(HttpStatusCode.Created);
        await admin.PostJson($"/projects/{project}/integrations/webhooks", new { url = "https://93.184.216.34/h", events = new[] { "db.insert" } }).Json(HttpStatusCode.Created);
        await admin.PutAsync($"/projects/{project}/integrations/providers/discord", System.Net.Http.Json.JsonContent.Create(new { webhook_url = "https://discord.com/api/webhooks/1/a" }))
            .Json(HttpStatusCode.Created);
        await admin.PostJson("/v1/destinations", new { kind = "zapier", url = "https://hooks.zapier.com/hooks/catch/1/a/" }).Json(HttpStatusCode.Created);
        await admin.PostJson("/api/v1/connectors", new { type = "slack", name = "6", config = new { webhook_url = slack } }).Problem(HttpStatusCode.Forbidden, "plan_limit_reached");
        await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "slack", url = slack }).Problem(HttpStatusCode.Forbidden, "plan_limit_reached");
        await herald.Operator().PatchRaw($"/v1/projects/{project}", """{"plan":"journalist"}""").Json(HttpStatusCode.OK);
        await admin.PostJson("/api/v1/connectors", new { type = "slack", name = "6", config = new { webhook_url = slack } }).Json(HttpStatusCode.Created);
        Assert.Equal(6, (await admin.GetAsync("/api/v1/connectors").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }
}
