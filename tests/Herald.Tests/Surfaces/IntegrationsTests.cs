using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>Seed 002 (outgoing webhooks and provider integrations) replayed through HTTP.</summary>
public sealed class IntegrationsTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Every_request_of_the_integrations_seed_works_as_written(string store)
    {
        var (herald, receiver) = await ConnectorsTests.StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var url = $"https://receiver.test:{receiver.Port}/webhooks/zmesh";

        // Register: the seed's body (with our receiver as the URL), the seed's response shape
        var registered = await admin.PostRaw($"/projects/{project}/integrations/webhooks", $$"""
            {
            "url": "{{url}}",
            "events": ["auth.signup", "db.insert", "storage.upload"],
            "secret": "whsec_your_signing_secret"
            }
            """).Json(HttpStatusCode.Created);
        // The seed's fields, plus host and fingerprint, and a warning that its literal secret is not for Standard Webhooks libraries
        Assert.Equal(["active", "destination_host", "events", "id", "secret_fingerprint", "url", "warnings"],
            registered.EnumerateObject().Select(p => p.Name).Order());
        Assert.True(Guid.TryParse(registered.Str("id"), out _));
        Assert.Equal(url, registered.Str("url"));
        Assert.Equal(["auth.signup", "db.insert", "storage.upload"], registered.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.True(registered.GetProperty("active").GetBoolean());
        var id = registered.Str("id");

        var generated = await admin.PostJson($"/projects/{project}/integrations/webhooks", new { url = $"{url}/2", events = new[] { "db.*" } })
            .Json(HttpStatusCode.Created);
        Assert.StartsWith("whsec_", generated.Str("secret")); // generated secrets are shown once
        Assert.DoesNotContain("whsec_", (await admin.GetAsync($"/projects/{project}/integrations/webhooks").Json(HttpStatusCode.OK)).GetRawText());

        // List
        var list = await admin.GetAsync($"/projects/{project}/integrations/webhooks").Json(HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());

        // Events → signed delivery the seed's verifier accepts
        await admin.PublishAsync("auth.signup", new { user_id = "u1" });
        var delivered = (await receiver.WaitForAsync(1))[0];
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes("whsec_your_signing_secret"), System.Text.Encoding.UTF8.GetBytes(delivered.Body)));
        Assert.Equal(expected, delivered.Headers["x-herald-signature"]);

        // Test webhook: a test.ping through the real sender
        var test = await admin.PostAsync($"/projects/{project}/integrations/webhooks/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.True(test.GetProperty("ok").GetBoolean());
        Assert.Equal("test.ping", JsonDocument.Parse((await receiver.WaitForAsync(2))[1].Body).RootElement.Str("type"));

        // Delivery logs: status codes, response times, outcome, attempt number
        JsonElement logs = default;
        await Eventually.TrueAsync(async () => (logs = await admin.GetAsync($"/projects/{project}/integrations/webhooks/{id}/deliveries")
            .Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength() == 1, "delivery logged");
        var entry = logs.GetProperty("data")[0];
        Assert.Equal(200, entry.GetProperty("status_code").GetInt32());
        Assert.True(entry.GetProperty("response_time_ms").GetInt32() >= 0);
        Assert.Equal("delivered_200", entry.Str("outcome"));
        Assert.Equal(1, entry.GetProperty("attempt_number").GetInt32());
        Assert.Equal("auth.signup", entry.Str("event_type"));

        // Update & delete, as the seed writes them
        var updated = await admin.PutAsync($"/projects/{project}/integrations/webhooks/{id}",
            new StringContent("""{ "events": ["auth.signup"], "active": false }""", System.Text.Encoding.UTF8, "application/json")).Json(HttpStatusCode.OK);
        Assert.Equal(["auth.signup"], updated.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.False(updated.GetProperty("active").GetBoolean());
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/projects/{project}/integrations/webhooks/{id}")).StatusCode);
        await admin.GetAsync($"/projects/{project}/integrations/webhooks/{id}").Problem(HttpStatusCode.NotFound, "not_found");

        // Available events
        var events = await admin.GetAsync($"/projects/{project}/integrations/events").Json(HttpStatusCode.OK);
        var names = events.GetProperty("data").EnumerateArray().Select(e => e.Str("name")).ToList();
        foreach (var name in new[] { "auth.signup", "auth.login", "auth.password_reset", "db.insert", "db.update", "db.delete", "storage.upload",
                     "storage.delete", "functions.invoked", "functions.error", "user.created", "user.updated", "user.deleted" })
            Assert.Contains(name, names);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Providers_are_listed_configured_and_toggled_without_losing_configuration(string store)
    {
        var (herald, receiver) = await ConnectorsTests.StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

        var before = await admin.GetAsync($"/projects/{project}/integrations/providers").Json(HttpStatusCode.OK);
        // The providers Herald delivers to, then those that send to Herald (seed 002 names Razorpay; the other inbound kinds follow it)
        Assert.Equal(["slack", "discord", "teams", "zapier", "razorpay", "stripe", "github", "shopify", "standard-webhooks"],
            before.GetProperty("data").EnumerateArray().Select(p => p.Str("provider")));
        Assert.All(before.GetProperty("data").EnumerateArray(), p => Assert.False(p.GetProperty("configured").GetBoolean()));

        var slack = await admin.PutAsync($"/projects/{project}/integrations/providers/slack",
            JsonContent.Create(new { webhook_url = "https://hooks.slack.com/services/T9/B9/PROVIDERTOKEN", events = new[] { "user.*" } })).Json(HttpStatusCode.Created);
        Assert.True(slack.GetProperty("configured").GetBoolean());
        Assert.True(slack.GetProperty("enabled").GetBoolean());
        Assert.DoesNotContain("PROVIDERTOKEN", slack.GetRawText());
        var again = await admin.PutAsync($"/projects/{project}/integrations/providers/slack", JsonContent.Create(new { events = new[] { "user.created" } }))
            .Json(HttpStatusCode.OK);
        Assert.Equal(["user.created"], again.GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        var off = await admin.PostAsync($"/projects/{project}/integrations/providers/slack/toggle", null).Json(HttpStatusCode.OK);
        Assert.False(off.GetProperty("enabled").GetBoolean());
        Assert.True(off.GetProperty("configured").GetBoolean());
        Assert.Equal(0, (await admin.PublishAsync("user.created", new { id = 1 })).GetProperty("deliveries").GetInt32());
        var on = await admin.PostAsync($"/projects/{project}/integrations/providers/slack/toggle", null).Json(HttpStatusCode.OK);
        Assert.True(on.GetProperty("enabled").GetBoolean());
        await admin.PublishAsync("user.created", new { id = 2 });
        var body = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body).RootElement;
        Assert.True(body.TryGetProperty("blocks", out _));
        Assert.Equal("/services/T9/B9/PROVIDERTOKEN", receiver.Received.First().PathAndQuery);

        // Razorpay sends events: a webhook_url is refused (it takes webhook_secret), and a provider Herald does not know is not found
        await admin.PutAsync($"/projects/{project}/integrations/providers/razorpay", JsonContent.Create(new { webhook_url = "https://x.example.com" }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_url");
        await admin.PutAsync($"/projects/{project}/integrations/providers/paypal", JsonContent.Create(new { webhook_url = "https://x.example.com" }))
            .Problem(HttpStatusCode.NotFound, "not_found", "provider");
        await admin.PutAsync($"/projects/{project}/integrations/providers/slack", JsonContent.Create(new { webhook_secret = "not-for-slack" }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_secret");
        await admin.PostAsync($"/projects/{project}/integrations/providers/discord/toggle", null).Problem(HttpStatusCode.Conflict, "provider_not_configured");
        await admin.PutAsync($"/projects/{project}/integrations/providers/discord", JsonContent.Create(new { webhook_url = "https://hooks.slack.com/services/T/B/X" }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_url");
    }

    [Fact]
    public async Task Another_projects_id_in_the_path_is_not_found_and_bad_input_is_refused()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "o" }).Json(HttpStatusCode.Created)).Str("id");

        await admin.GetAsync($"/projects/{other}/integrations/webhooks").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.PostJson($"/projects/{other}/integrations/webhooks", new { url = "https://93.184.216.34/h", events = new[] { "db.insert" } })
            .Problem(HttpStatusCode.NotFound, "not_found");
        await admin.GetAsync($"/projects/{other}/integrations/providers").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.GetAsync("/projects/not-a-project/integrations/events").Problem(HttpStatusCode.NotFound, "not_found");

        var wh = $"/projects/{project}/integrations/webhooks";
        await admin.PostJson(wh, new { url = "https://localhost/h", events = new[] { "db.insert" } }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "url");
        await admin.PostJson(wh, new { url = "https://93.184.216.34/h", events = new[] { "db.nope" } }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "events[0]");
        await admin.PostJson(wh, new { url = "https://93.184.216.34/h", secret = "short" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        await admin.PostRaw(wh, """{"url":"https://93.184.216.34/h","events":"db.insert"}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "events");
        await admin.PutAsync($"{wh}/00000000-0000-0000-0000-000000000000", JsonContent.Create(new { active = false })).Problem(HttpStatusCode.NotFound, "not_found");
        await admin.GetAsync($"{wh}/nope/deliveries").Problem(HttpStatusCode.NotFound, "not_found");
        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key"));
        await member.PostJson(wh, new { url = "https://93.184.216.34/h" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await admin.GetAsync(wh).Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }
}
