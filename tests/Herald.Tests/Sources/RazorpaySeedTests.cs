using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Herald.Tests.Surfaces;

namespace Herald.Tests.Sources;

/// <summary>Seed 002's Razorpay provider, end to end: configure → a Razorpay-signed payment webhook in → delivered to Slack and a webhook.</summary>
public sealed class RazorpaySeedTests
{
    private const string Secret = "rzp_webhook_secret_0123456789";

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Razorpay_configured_through_the_seed_delivers_a_captured_payment_to_slack_and_a_webhook(string store)
    {
        var (herald, receiver) = await ConnectorsTests.StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var providers = $"/projects/{project}/integrations/providers";

        // The project's Slack and an outgoing webhook take razorpay.* (the catalog knows the namespace)
        await admin.PutAsync($"{providers}/slack", JsonContent.Create(new
        {
            webhook_url = "https://hooks.slack.com/services/T1/B1/RAZORPAYSLACK", events = new[] { "razorpay.*" },
        })).Json(HttpStatusCode.Created);
        await admin.PostJson($"/projects/{project}/integrations/webhooks", new
        {
            url = $"https://receiver.test:{receiver.Port}/payments", events = new[] { "razorpay.payment.captured" },
        }).Json(HttpStatusCode.Created);

        // Configure, as the seed writes it
        var configured = await admin.PutAsync($"{providers}/razorpay",
            new StringContent($$"""{"webhook_secret": "{{Secret}}"}""", System.Text.Encoding.UTF8, "application/json")).Json(HttpStatusCode.Created);
        Assert.Equal("razorpay", configured.Str("provider"));
        Assert.True(configured.GetProperty("configured").GetBoolean());
        Assert.True(configured.GetProperty("enabled").GetBoolean());
        Assert.Equal("inbound", configured.Str("direction"));
        var inboundUrl = configured.Str("inbound_url");
        Assert.Matches("^http://localhost/in/[A-Za-z0-9_-]{43}$", inboundUrl);
        Assert.DoesNotContain(Secret, configured.GetRawText());
        Assert.DoesNotContain(configured.Str("source_id"), inboundUrl);

        // Listed with the others, configured; and one of the project's sources
        var listed = (await admin.GetAsync(providers).Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().Single(p => p.Str("provider") == "razorpay");
        Assert.True(listed.GetProperty("configured").GetBoolean());
        Assert.Equal(inboundUrl, listed.Str("inbound_url"));
        var source = await admin.SourceAsync(configured.Str("source_id"));
        Assert.Equal("razorpay", source.Str("kind"));
        Assert.Equal(inboundUrl, source.Str("inbound_url"));

        // Razorpay posts a signed payment.captured: no API key, answered 200 once stored
        var body = SourceTestKit.RazorpayPayment("pay_29QQoUBi66xm2f");
        var anonymous = herald.Anonymous();
        var receipt = await anonymous.PostRazorpay(inboundUrl, Secret, body, "evt_rzp_001").Json(HttpStatusCode.OK);
        Assert.False(receipt.GetProperty("duplicate").GetBoolean());
        var eventId = receipt.Str("event_id");

        var delivered = await receiver.WaitForAsync(2);
        var slack = delivered.Single(r => r.PathAndQuery == "/services/T1/B1/RAZORPAYSLACK");
        Assert.Contains("razorpay.payment.captured", slack.Body);
        Assert.True(JsonDocument.Parse(slack.Body).RootElement.TryGetProperty("blocks", out _));
        var webhook = JsonDocument.Parse(delivered.Single(r => r.PathAndQuery == "/payments").Body).RootElement;
        Assert.Equal("razorpay.payment.captured", webhook.Str("type"));
        Assert.Equal("pay_29QQoUBi66xm2f", webhook.GetProperty("data").GetProperty("payload").GetProperty("payment").GetProperty("entity").Str("id"));

        var stored = await admin.EventAsync(eventId);
        Assert.Equal("razorpay.payment.captured", stored.Str("type"));
        Assert.Equal(["razorpay"], stored.GetProperty("categories").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(2, stored.GetProperty("deliveries").GetInt32());
        Assert.Equal(JsonDocument.Parse(body).RootElement.GetRawText(), stored.GetProperty("data").GetRawText());

        // Razorpay retries the same event id: 200, nothing new
        var retry = await anonymous.PostRazorpay(inboundUrl, Secret, body, "evt_rzp_001").Json(HttpStatusCode.OK);
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Equal(eventId, retry.Str("event_id"));
        Assert.Single(await admin.EventsAsync());

        // Toggled off: the provider gets 404 and nothing is stored; toggled on: received again
        var off = await admin.PostAsync($"{providers}/razorpay/toggle", null).Json(HttpStatusCode.OK);
        Assert.False(off.GetProperty("enabled").GetBoolean());
        Assert.True(off.GetProperty("configured").GetBoolean());
        await anonymous.PostRazorpay(inboundUrl, Secret, SourceTestKit.RazorpayPayment("pay_2"), "evt_rzp_002").Problem(HttpStatusCode.NotFound, "not_found");
        Assert.Single(await admin.EventsAsync());
        var on = await admin.PostAsync($"{providers}/razorpay/toggle", JsonContent.Create(new { enabled = true })).Json(HttpStatusCode.OK);
        Assert.True(on.GetProperty("enabled").GetBoolean());
        await anonymous.PostRazorpay(inboundUrl, Secret, SourceTestKit.RazorpayPayment("pay_2"), "evt_rzp_002").Json(HttpStatusCode.OK);
        Assert.Equal(2, (await admin.EventsAsync()).Count);

        // PUT again changes the secret (same source, same URL): the old secret no longer verifies
        var changed = await admin.PutAsync($"{providers}/razorpay", JsonContent.Create(new { webhook_secret = "rzp_rotated_secret_987654" })).Json(HttpStatusCode.OK);
        Assert.Equal(inboundUrl, changed.Str("inbound_url"));
        Assert.NotEqual(configured.Str("secret_fingerprint"), changed.Str("secret_fingerprint"));
        await anonymous.PostRazorpay(inboundUrl, Secret, SourceTestKit.RazorpayPayment("pay_3"), "evt_rzp_003").Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("bad_signature", (await admin.SourceAsync(configured.Str("source_id"))).Str("last_failure"));
        await anonymous.PostRazorpay(inboundUrl, "rzp_rotated_secret_987654", SourceTestKit.RazorpayPayment("pay_3"), "evt_rzp_003").Json(HttpStatusCode.OK);
        Assert.Equal(3, (await admin.EventsAsync()).Count);
    }

    [Fact]
    public async Task The_seed_configure_refuses_what_an_inbound_provider_cannot_take()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var razorpay = $"/projects/{project}/integrations/providers/razorpay";

        await admin.PutAsync(razorpay, JsonContent.Create(new { name = "payments" })).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_secret");
        await admin.PutAsync(razorpay, JsonContent.Create(new { webhook_secret = "short" })).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_secret");
        await admin.PutAsync(razorpay, JsonContent.Create(new { webhook_secret = "long enough secret" }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "webhook_secret"); // no spaces
        await admin.PutAsync(razorpay, JsonContent.Create(new { webhook_secret = "a-good-secret-1", events = new[] { "db.*" } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "events");
        await admin.PutAsync(razorpay, new StringContent("""{"webhook_secret": 5}""", System.Text.Encoding.UTF8, "application/json"))
            .Problem(HttpStatusCode.BadRequest, "invalid_type", "webhook_secret");
        await admin.PostAsync($"{razorpay}/toggle", null).Problem(HttpStatusCode.Conflict, "provider_not_configured");
        Assert.Equal(0, (await admin.GetAsync("/v1/sources").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key"));
        await member.PutAsync(razorpay, JsonContent.Create(new { webhook_secret = "a-good-secret-1" })).Problem(HttpStatusCode.Forbidden, "forbidden");
        Assert.Equal(0, (await admin.GetAsync("/v1/sources").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }
}
