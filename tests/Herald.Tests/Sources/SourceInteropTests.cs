using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Sources;

/// <summary>
/// Inbound webhooks signed by the providers' own npm packages (tests/interop/sign.js): Herald takes what they sign and refuses
/// what they sign with another secret or too long ago. Razorpay's package has no signer: its validateWebhookSignature must agree
/// with the signature Herald accepts.
/// </summary>
public sealed class SourceInteropTests
{
    private static readonly string[] Packages = ["razorpay", "stripe", "@octokit/webhooks-methods", "standardwebhooks"];

    private sealed record Case(string Kind, string Secret, string Body, string Expected, object SignRequest, object WrongSecretRequest, object? StaleRequest);

    private static IEnumerable<Case> Cases(long now)
    {
        const string rzpSecret = "rzp_interop_secret_1";
        var rzpBody = SourceTestKit.RazorpayPayment("pay_interop");
        yield return new Case("razorpay", rzpSecret, rzpBody, "razorpay.payment.captured",
            new { provider = "razorpay", secret = rzpSecret, body = rzpBody, id = "rzp_evt_1", signature = SourceTestKit.RazorpaySignature(rzpSecret, rzpBody) },
            new { provider = "razorpay", secret = rzpSecret, body = rzpBody, id = "rzp_evt_1", signature = SourceTestKit.RazorpaySignature("other_secret_1", rzpBody) },
            null);

        const string stripeSecret = "whsec_interop_stripe_0123456789";
        const string stripeBody = """{"id":"evt_3Interop","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":1999,"currency":"usd"}}}""";
        yield return new Case("stripe", stripeSecret, stripeBody, "stripe.payment_intent.succeeded",
            new { provider = "stripe", secret = stripeSecret, body = stripeBody, timestamp = now },
            new { provider = "stripe", secret = "whsec_another_secret_987654321", body = stripeBody, timestamp = now },
            new { provider = "stripe", secret = stripeSecret, body = stripeBody, timestamp = now - 360 });

        const string githubSecret = "github-interop-secret";
        const string githubBody = """{"action":"opened","number":7,"pull_request":{"title":"Add sources","user":{"login":"octocat"}},"repository":{"full_name":"acme/app"}}""";
        yield return new Case("github", githubSecret, githubBody, "github.pull_request.opened",
            new { provider = "github", secret = githubSecret, body = githubBody, id = "72d3162e-cc78-11e3-81ab-4c9367dc0958", @event = "pull_request" },
            new { provider = "github", secret = "another-github-secret", body = githubBody, id = "72d3162e-cc78-11e3-81ab-4c9367dc0958", @event = "pull_request" },
            null);

        const string shopifySecret = "shpss_interop_secret_42";
        const string shopifyBody = """{"id":820982911946154500,"email":"jon@example.com","total_price":"403.00","currency":"USD"}""";
        yield return new Case("shopify", shopifySecret, shopifyBody, "shopify.orders.create",
            new { provider = "shopify", secret = shopifySecret, body = shopifyBody, id = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", @event = "orders/create" },
            new { provider = "shopify", secret = "shpss_another_secret_0", body = shopifyBody, id = "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", @event = "orders/create" },
            null);

        const string swSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const string swBody = """{"type":"invoice.paid","timestamp":"2026-11-30T08:00:00Z","data":{"invoice_id":"inv_1","amount":42}}""";
        yield return new Case("standard-webhooks", swSecret, swBody, "standard_webhooks.invoice.paid",
            new { provider = "standard-webhooks", secret = swSecret, body = swBody, id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", timestamp = now },
            new { provider = "standard-webhooks", secret = "whsec_" + Convert.ToBase64String(new byte[24]), body = swBody, id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", timestamp = now },
            new { provider = "standard-webhooks", secret = swSecret, body = swBody, id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", timestamp = now - 360 });
    }

    [Fact]
    public async Task Bodies_signed_by_each_providers_own_library_are_published_and_wrongly_signed_or_stale_ones_are_not()
    {
        Interop.Require(Packages);
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var anonymous = herald.Anonymous();
        var cases = Cases(SourceTestKit.Now).ToList();
        var signed = await Interop.SignInboundAsync(cases.SelectMany(c => new[] { c.SignRequest, c.WrongSecretRequest }.Concat(c.StaleRequest is null ? [] : [c.StaleRequest]))
            .ToArray());
        var next = 0;
        foreach (var c in cases)
        {
            var source = await admin.CreateSourceAsync(c.Kind, c.Secret);
            var (good, wrong) = (signed[next++], signed[next++]);
            var stale = c.StaleRequest is null ? (JsonElement?)null : signed[next++];
            if (c.Kind == "razorpay")
            {
                Assert.True(good.GetProperty("validated").GetBoolean(), "razorpay's validateWebhookSignature refused the signature Herald accepts");
                Assert.False(wrong.GetProperty("validated").GetBoolean());
            }

            await anonymous.PostInbound(source.Str("inbound_url"), c.Body, Headers(wrong)).Problem(HttpStatusCode.Unauthorized, "unauthorized");
            Assert.Equal("bad_signature", (await admin.SourceAsync(source.Str("id"))).Str("last_failure"));
            if (stale is { } old)
            {
                await anonymous.PostInbound(source.Str("inbound_url"), c.Body, Headers(old)).Problem(HttpStatusCode.Unauthorized, "unauthorized");
                Assert.Equal("stale_timestamp", (await admin.SourceAsync(source.Str("id"))).Str("last_failure"));
            }
            var before = (await admin.EventsAsync()).Count;

            var receipt = await anonymous.PostInbound(source.Str("inbound_url"), c.Body, Headers(good)).Json(HttpStatusCode.OK);
            var e = await admin.EventAsync(receipt.Str("event_id"));
            Assert.Equal(c.Expected, e.Str("type"));
            Assert.Equal([c.Kind], e.GetProperty("categories").EnumerateArray().Select(x => x.GetString()));
            Assert.Equal(JsonDocument.Parse(c.Body).RootElement.GetRawText(), e.GetProperty("data").GetRawText());
            Assert.Equal(before + 1, (await admin.EventsAsync()).Count);

            // The provider's retry of the same event: 200, nothing new
            var retry = await anonymous.PostInbound(source.Str("inbound_url"), c.Body, Headers(good)).Json(HttpStatusCode.OK);
            Assert.True(retry.GetProperty("duplicate").GetBoolean(), $"{c.Kind}: a retry was not recognised");
            Assert.Equal(before + 1, (await admin.EventsAsync()).Count);
        }
    }

    private static Dictionary<string, string> Headers(JsonElement signed) =>
        signed.GetProperty("headers").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
}
