using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Destinations;

/// <summary>Custom webhooks in CloudEvents 1.0, structured and binary mode, parsed by the cloudevents npm package.</summary>
public sealed class CloudEventsTests
{
    private static async Task<(HeraldFactory, TestReceiver)> StartAsync(string store = Stores.Sqlite)
    {
        var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        return (await HeraldFactory.CreateAsync(store, settings), receiver);
    }

    [Fact]
    public async Task Both_modes_parse_with_the_cloudevents_package_carry_the_event_and_stay_signed()
    {
        Interop.Require("cloudevents", "standardwebhooks");
        var (herald, receiver) = await StartAsync();
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var url = $"https://receiver.test:{receiver.Port}";

        var structured = await admin.PostJson("/v1/destinations", new { kind = "webhook", url = url + "/structured", format = "cloudevents" })
            .Json(HttpStatusCode.Created);
        Assert.Equal("cloudevents", structured.GetProperty("destination").Str("format"));
        var binary = await admin.PostJson("/v1/destinations",
            new { kind = "webhook", url = url + "/binary", format = "cloudevents-binary", source = "https://example.com/herald/billing" })
            .Json(HttpStatusCode.Created);
        Assert.Equal("https://example.com/herald/billing", binary.GetProperty("destination").Str("source"));

        var occurred = DateTimeOffset.Parse("2026-11-30T08:15:30.250Z");
        var published = await admin.PublishAsync("auth.signup", new { user_id = "u_1", note = "ünïcödé ✓", nested = new { n = 2 } },
            new { occurred_at = occurred });
        var requests = await receiver.WaitForAsync(2);
        var sent = requests.Single(r => r.PathAndQuery == "/structured");
        var sentBinary = requests.Single(r => r.PathAndQuery == "/binary");

        Assert.StartsWith("application/cloudevents+json", sent.Headers["content-type"]);
        Assert.StartsWith("application/json", sentBinary.Headers["content-type"]);
        Assert.Equal(published.Str("id"), sentBinary.Headers["ce-id"]);
        Assert.Equal("1.0", sentBinary.Headers["ce-specversion"]);
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse("""{"user_id":"u_1","note":"ünïcödé ✓","nested":{"n":2}}"""),
            System.Text.Json.Nodes.JsonNode.Parse(sentBinary.Body)), sentBinary.Body); // the data, as the body

        var events = await Interop.ParseCloudEventsAsync([sent, sentBinary]);
        Assert.Equal("structured", events[0].Str("mode"));
        Assert.Equal("binary", events[1].Str("mode"));
        foreach (var e in events)
        {
            Assert.False(e.TryGetProperty("error", out var error), error.ToString());
            Assert.Equal("1.0", e.Str("specversion"));
            Assert.Equal(published.Str("id"), e.Str("id"));
            Assert.Equal("auth.signup", e.Str("type"));
            Assert.Equal(occurred, DateTimeOffset.Parse(e.Str("time")));
            Assert.StartsWith("application/json", e.Str("datacontenttype"));
            Assert.Equal("u_1", e.GetProperty("data").Str("user_id"));
            Assert.Equal("ünïcödé ✓", e.GetProperty("data").Str("note"));
            Assert.Equal(2, e.GetProperty("data").GetProperty("nested").GetProperty("n").GetInt32());
        }
        Assert.Equal($"/herald/projects/{project}", events[0].Str("source"));
        Assert.Equal("https://example.com/herald/billing", events[1].Str("source"));

        // Signed as any webhook: over the body that was sent (the whole event, or the data in binary mode).
        foreach (var (request, created) in new[] { (sent, structured), (sentBinary, binary) })
        {
            var verified = await Interop.VerifyAsync(request.Body, request.Headers, created.Str("signing_secret"));
            Assert.True(verified.GetProperty("standardwebhooks").GetBoolean(), verified.ToString());
            Assert.True(verified.GetProperty("seed").GetBoolean(), verified.ToString());
        }

        // The test button goes the same way: a test.ping CloudEvent.
        var test = await admin.PostAsync($"/v1/destinations/{binary.GetProperty("destination").Str("id")}/test", null).Json(HttpStatusCode.OK);
        Assert.True(test.GetProperty("ok").GetBoolean());
        var ping = (await receiver.WaitForAsync(3)).Last();
        var pinged = Assert.Single(await Interop.ParseCloudEventsAsync([ping]));
        Assert.Equal("test.ping", pinged.Str("type"));
        Assert.Equal("binary", pinged.Str("mode"));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task The_format_is_set_on_every_route_shown_back_changed_and_reset(string store)
    {
        var (herald, receiver) = await StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var url = $"https://receiver.test:{receiver.Port}";

        var installed = await admin.PostJson("/v2/marketplace/installations",
            new { listing_slug = "custom-webhook", url = url + "/m", format = "cloudevents" }).Json(HttpStatusCode.Created);
        Assert.Equal("cloudevents", installed.Str("format"));
        var connector = await admin.PostJson("/api/v1/connectors",
            new { type = "generic", name = "ce", config = new { url = url + "/c", method = "POST", format = "cloudevents-binary" } }).Json(HttpStatusCode.Created);
        Assert.Equal("cloudevents-binary", connector.GetProperty("config").Str("format"));
        var plain = await admin.CreateDestinationAsync(new { kind = "webhook", url = url + "/p" });
        Assert.False((await admin.DestinationAsync(plain)).TryGetProperty("format", out _)); // the default is not written out

        await admin.PublishAsync("db.insert", new { id = 1 });
        var requests = await receiver.WaitForAsync(3);
        Assert.StartsWith("application/cloudevents+json", requests.Single(r => r.PathAndQuery == "/m").Headers["content-type"]);
        Assert.Equal("db.insert", requests.Single(r => r.PathAndQuery == "/c").Headers["ce-type"]);
        var envelope = JsonDocument.Parse(requests.Single(r => r.PathAndQuery == "/p").Body).RootElement;
        Assert.Equal("herald", envelope.Str("source"));
        Assert.False(requests.Single(r => r.PathAndQuery == "/p").Headers.ContainsKey("ce-id"));

        // Changed through PATCH (and the connectors API), then back to the envelope with null.
        var changed = await admin.PatchRaw($"/v1/destinations/{plain}", """{"format":"cloudevents","source":"/billing"}""").Json(HttpStatusCode.OK);
        Assert.Equal("cloudevents", changed.Str("format"));
        Assert.Equal("/billing", changed.Str("source"));
        var connectorChanged = await admin.PatchAsync($"/api/v1/connectors/{connector.Str("uuid")}",
            System.Net.Http.Json.JsonContent.Create(new { config = new { format = "cloudevents" } })).Json(HttpStatusCode.OK);
        Assert.Equal("cloudevents", connectorChanged.GetProperty("config").Str("format"));
        await admin.PublishAsync("db.insert", new { id = 2 });
        requests = await receiver.WaitForAsync(6);
        var second = requests.Skip(3).ToList();
        Assert.Equal("/billing", JsonDocument.Parse(second.Single(r => r.PathAndQuery == "/p").Body).RootElement.Str("source"));
        Assert.StartsWith("application/cloudevents+json", second.Single(r => r.PathAndQuery == "/c").Headers["content-type"]);

        // A source needs a CloudEvents format: resetting the format alone is refused, resetting both works.
        await admin.PatchRaw($"/v1/destinations/{plain}", """{"format":null}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "source");
        var reset = await admin.PatchRaw($"/v1/destinations/{plain}", """{"format":null,"source":null}""").Json(HttpStatusCode.OK);
        Assert.False(reset.TryGetProperty("format", out _));
        Assert.False(reset.TryGetProperty("source", out _));
    }

    public static TheoryData<string, string, HttpStatusCode, string, string> BadFormats => new()
    {
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":"cloudevent"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":"CloudEvents"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":""}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":42}""", HttpStatusCode.BadRequest, "invalid_type", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":null}""", HttpStatusCode.BadRequest, "invalid_type", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":{"mode":"binary"}}""", HttpStatusCode.BadRequest, "invalid_type", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","source":"/x"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "source" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":"cloudevents","source":"has space"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "source" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","format":"cloudevents","source":"/a%20b"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "source" },
        { "/v1/destinations", """{"kind":"slack","url":"https://hooks.slack.com/services/T/B/X","format":"cloudevents"}""", HttpStatusCode.BadRequest, "unknown_field", "format" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","colour":"red"}""", HttpStatusCode.BadRequest, "unknown_field", "colour" },
        { "/v1/destinations", """{"kind":"webhook","url":"https://93.184.216.34/h","headers":{"ce-id":"x"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "headers.ce-id" },
        { "/v2/marketplace/installations", """{"listing_slug":"custom-webhook","url":"https://93.184.216.34/h","format":"xml"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "format" },
        { "/v2/marketplace/installations", """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T/B/X","format":"cloudevents"}""", HttpStatusCode.BadRequest, "unknown_field", "format" },
        { "/api/v1/connectors", """{"type":"generic","name":"x","config":{"url":"https://93.184.216.34/h","method":"POST","format":"json"}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "config.format" },
        { "/api/v1/connectors", """{"type":"generic","name":"x","config":{"url":"https://93.184.216.34/h","method":"POST","format":true}}""", HttpStatusCode.BadRequest, "invalid_type", "config.format" },
        { "/api/v1/connectors", """{"type":"slack","name":"x","config":{"webhook_url":"https://hooks.slack.com/services/T/B/X","format":"cloudevents"}}""", HttpStatusCode.BadRequest, "unknown_field", "config.format" },
    };

    [Theory, MemberData(nameof(BadFormats))]
    public async Task Bad_formats_are_refused_naming_the_field_and_store_nothing(string path, string body, HttpStatusCode status, string code, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var problem = await herald.Admin().PostRaw(path, body).Problem(status, code, field);
        Assert.DoesNotContain("   at ", problem.GetRawText());
        Assert.Equal(0, (await herald.Admin().GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task A_bad_format_in_a_change_is_refused_and_changes_nothing()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/h", format = "cloudevents", name = "before" });
        await admin.PatchRaw($"/v1/destinations/{id}", """{"name":"after","format":"cloudevents-structured"}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "format");
        await admin.PatchRaw($"/v1/destinations/{id}", """{"name":"after","format":7}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "format");
        await admin.PatchRaw($"/api/v1/connectors/{id}", """{"config":{"format":"binary"}}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "config.format");
        var unchanged = await admin.DestinationAsync(id);
        Assert.Equal("before", unchanged.Str("name"));
        Assert.Equal("cloudevents", unchanged.Str("format"));
    }
}
