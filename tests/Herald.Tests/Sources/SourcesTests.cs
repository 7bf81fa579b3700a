using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Herald.Sources;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Sources;

/// <summary>/v1/sources and POST /in/{token}: what is taken, what is refused (and then stored nowhere), and who sees what.</summary>
public sealed class SourcesTests
{
    private const string RazorpaySecret = "rzp_secret_for_tests_42";
    private const string StripeSecret = "whsec_stripe_test_secret_0123456789";

    private static Task<HeraldFactory> StartAsync(string store, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?> { ["Herald:Delivery:Worker"] = "false" };
        foreach (var (key, value) in settings ?? []) all[key] = value;
        return HeraldFactory.CreateAsync(store, all, services);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Sources_are_created_read_changed_and_deleted_and_never_show_their_secret(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

        var created = await admin.PostJson("/v1/sources", new { kind = "stripe", name = "Stripe live", secret = StripeSecret }).Json(HttpStatusCode.Created);
        var id = created.Str("id");
        Assert.True(Herald.Common.Ids.IsWellFormed(id, "src"));
        Assert.Equal("source", created.Str("object"));
        Assert.Equal("stripe", created.Str("kind"));
        Assert.Equal("Stripe live", created.Str("name"));
        Assert.Equal("active", created.Str("status"));
        Assert.Equal("stripe", created.Str("event_namespace"));
        Assert.StartsWith("mkfp_", created.Str("secret_fingerprint"));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("last_received_at").ValueKind);
        Assert.False(created.TryGetProperty("secret", out _));
        Assert.DoesNotContain(StripeSecret, created.GetRawText());
        Assert.DoesNotContain(StripeSecret[6..], created.GetRawText());
        var url = created.Str("inbound_url");
        Assert.Matches("^http://localhost/in/[A-Za-z0-9_-]{43}$", url);
        Assert.DoesNotContain(id, url);
        Assert.DoesNotContain(id["src_".Length..], url);
        Assert.DoesNotContain(project, url);

        // Another source of the same kind and secret has another, unrelated URL
        var second = await admin.CreateSourceAsync("stripe", StripeSecret);
        Assert.NotEqual(url, second.Str("inbound_url"));

        // Members read, admins change
        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key"));
        Assert.Equal(url, (await member.SourceAsync(id)).Str("inbound_url"));
        Assert.Equal(2, (await member.GetAsync("/v1/sources").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        await member.PostJson("/v1/sources", new { kind = "github", secret = "github-secret" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.PatchRaw($"/v1/sources/{id}", """{"status":"disabled"}""").Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.DeleteAsync($"/v1/sources/{id}").Problem(HttpStatusCode.Forbidden, "forbidden");

        var patched = await admin.PatchRaw($"/v1/sources/{id}", $$"""{"name":"Stripe test","secret":"{{StripeSecret}}X","status":"disabled"}""").Json(HttpStatusCode.OK);
        Assert.Equal("Stripe test", patched.Str("name"));
        Assert.Equal("disabled", patched.Str("status"));
        Assert.NotEqual(created.Str("secret_fingerprint"), patched.Str("secret_fingerprint"));
        Assert.Equal(url, patched.Str("inbound_url"));

        // The database holds neither the secret nor the token in the clear
        await using (var connection = await herald.Services.GetRequiredService<Db>().OpenAsync())
        {
            var raw = string.Join("\n", (await connection.QueryAsync("SELECT * FROM sources"))
                .SelectMany(row => ((IDictionary<string, object?>)row).Values.Select(v => v?.ToString())));
            Assert.DoesNotContain(StripeSecret[6..], raw);
            Assert.DoesNotContain(url[(url.LastIndexOf('/') + 1)..], raw);
        }

        var kinds = await member.GetAsync("/v1/sources/kinds").Json(HttpStatusCode.OK);
        Assert.Equal(["razorpay", "stripe", "github", "shopify", "standard-webhooks"], kinds.GetProperty("data").EnumerateArray().Select(k => k.Str("kind")));
        Assert.Contains("razorpay.payment.captured", kinds.GetProperty("data")[0].GetProperty("events").EnumerateArray().Select(e => e.GetString()));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/v1/sources/{id}")).StatusCode);
        await admin.GetAsync($"/v1/sources/{id}").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.DeleteAsync($"/v1/sources/{id}").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Anonymous().PostInbound(url, "{}", new Dictionary<string, string> { ["Stripe-Signature"] = "t=1,v1=00" })
            .Problem(HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task Bad_input_to_the_sources_api_names_the_field_and_changes_nothing()
    {
        await using var herald = await StartAsync(Stores.Sqlite);
        var admin = herald.Admin();
        await admin.PostJson("/v1/sources", new { name = "x", secret = "abcdefgh" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "kind");
        await admin.PostJson("/v1/sources", new { kind = "paypal", secret = "abcdefgh" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "kind");
        await admin.PostJson("/v1/sources", new { kind = "github" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        await admin.PostJson("/v1/sources", new { kind = "github", secret = "short" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        await admin.PostJson("/v1/sources", new { kind = "stripe", secret = "not-a-whsec-secret" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        await admin.PostJson("/v1/sources", new { kind = "standard-webhooks", secret = "whsec_%%%notbase64%%%" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        await admin.PostJson("/v1/sources", new { kind = "github", secret = "abcdefgh", name = new string('n', 101) })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "name");
        await admin.PostRaw("/v1/sources", """{"kind":"github","secret":"abcdefgh","colour":"red"}""").Problem(HttpStatusCode.BadRequest, "unknown_field", "colour");
        await admin.PostRaw("/v1/sources", """{"kind":"github","secret":12345678}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "secret");
        await admin.PostRaw("/v1/sources", "{").Problem(HttpStatusCode.BadRequest, "malformed_json");
        Assert.Equal(0, (await admin.GetAsync("/v1/sources").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        var id = (await admin.CreateSourceAsync("github", "abcdefgh")).Str("id");
        await admin.PatchRaw($"/v1/sources/{id}", """{"status":"paused"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "status");
        await admin.PatchRaw($"/v1/sources/{id}", """{"secret":"x"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        Assert.Equal("active", (await admin.SourceAsync(id)).Str("status"));
        await admin.GetAsync("/v1/sources/src_nope").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.PatchRaw("/v1/sources/nope", """{"name":"x"}""").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Operator().GetAsync("/v1/sources").Problem(HttpStatusCode.Forbidden, "forbidden");
        await herald.Anonymous().GetAsync("/v1/sources").Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Every_refusal_answers_briefly_records_why_and_stores_no_event(string store)
    {
        await using var herald = await StartAsync(store, new() { ["Herald:Events:MaxPayloadBytes"] = "4096" });
        var admin = herald.Admin();
        var anonymous = herald.Anonymous();
        var razorpay = await admin.CreateSourceAsync("razorpay", RazorpaySecret);
        var (rzpId, rzpUrl) = (razorpay.Str("id"), razorpay.Str("inbound_url"));
        var stripe = await admin.CreateSourceAsync("stripe", StripeSecret);
        var (stripeId, stripeUrl) = (stripe.Str("id"), stripe.Str("inbound_url"));
        var body = SourceTestKit.RazorpayPayment("pay_A");

        async Task Refused(Task<HttpResponseMessage> send, HttpStatusCode status, string code, string? sourceId, string? failure)
        {
            var problem = await send.Problem(status, code);
            Assert.DoesNotContain("signature", problem.GetRawText(), StringComparison.OrdinalIgnoreCase); // reveals nothing about why
            Assert.Empty(await admin.EventsAsync());
            if (sourceId is not null) Assert.Equal(failure, (await admin.SourceAsync(sourceId)).Str("last_failure"));
        }

        // Wrong secret, tampered body, no signature, a signature that is not hex
        await Refused(anonymous.PostRazorpay(rzpUrl, "another_secret_123", body, "e1"), HttpStatusCode.Unauthorized, "unauthorized", rzpId, "bad_signature");
        await Refused(anonymous.PostInbound(rzpUrl, body.Replace("50000", "1"), new Dictionary<string, string>
        {
            ["X-Razorpay-Signature"] = SourceTestKit.RazorpaySignature(RazorpaySecret, body), ["x-razorpay-event-id"] = "e1",
        }), HttpStatusCode.Unauthorized, "unauthorized", rzpId, "bad_signature");
        await Refused(anonymous.PostInbound(rzpUrl, body, []), HttpStatusCode.Unauthorized, "unauthorized", rzpId, "missing_signature");
        await Refused(anonymous.PostInbound(rzpUrl, body, new Dictionary<string, string> { ["X-Razorpay-Signature"] = "zz" + new string('0', 62) }),
            HttpStatusCode.Unauthorized, "unauthorized", rzpId, "bad_signature");

        // Stripe: a correct signature over a stale (or far future) timestamp; several v1 with one right is accepted below
        var stripeBody = """{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","amount":2000}}}""";
        await Refused(anonymous.PostInbound(stripeUrl, stripeBody, new Dictionary<string, string>
        {
            ["Stripe-Signature"] = SourceTestKit.StripeHeader(StripeSecret, stripeBody, SourceTestKit.Now - 600),
        }), HttpStatusCode.Unauthorized, "unauthorized", stripeId, "stale_timestamp");
        await Refused(anonymous.PostInbound(stripeUrl, stripeBody, new Dictionary<string, string>
        {
            ["Stripe-Signature"] = SourceTestKit.StripeHeader(StripeSecret, stripeBody, SourceTestKit.Now + 600),
        }), HttpStatusCode.Unauthorized, "unauthorized", stripeId, "stale_timestamp");
        await Refused(anonymous.PostInbound(stripeUrl, stripeBody, new Dictionary<string, string> { ["Stripe-Signature"] = "v1=abc" }),
            HttpStatusCode.Unauthorized, "unauthorized", stripeId, "missing_signature");

        // Oversized (by Content-Length), a signed body that is not a JSON object, a signed body with no event type
        var big = $$"""{"event":"payment.captured","pad":"{{new string('x', 5000)}}"}""";
        await Refused(anonymous.PostRazorpay(rzpUrl, RazorpaySecret, big, "e2"), HttpStatusCode.RequestEntityTooLarge, "payload_too_large", rzpId, "payload_too_large");
        await Refused(anonymous.PostRazorpay(rzpUrl, RazorpaySecret, "[1,2]", "e3"), HttpStatusCode.BadRequest, "malformed_json", rzpId, "malformed_body");
        await Refused(anonymous.PostRazorpay(rzpUrl, RazorpaySecret, "{\"event\":", "e3"), HttpStatusCode.BadRequest, "malformed_json", rzpId, "malformed_body");
        await Refused(anonymous.PostRazorpay(rzpUrl, RazorpaySecret, """{"entity":"event"}""", "e4"), HttpStatusCode.BadRequest, "malformed_json", rzpId, "no_event_type");

        // Unknown and malformed tokens: 404, nothing looked up or stored
        await Refused(anonymous.PostRazorpay("http://localhost/in/" + new string('A', 43), RazorpaySecret, body, "e5"), HttpStatusCode.NotFound, "not_found", null, null);
        await Refused(anonymous.PostRazorpay("http://localhost/in/short", RazorpaySecret, body, "e5"), HttpStatusCode.NotFound, "not_found", null, null);

        // Disabled: 404 like an unknown URL, even correctly signed
        await admin.PatchRaw($"/v1/sources/{rzpId}", """{"status":"disabled"}""").Json(HttpStatusCode.OK);
        await Refused(anonymous.PostRazorpay(rzpUrl, RazorpaySecret, body, "e6"), HttpStatusCode.NotFound, "not_found", rzpId, "no_event_type");
        await admin.PatchRaw($"/v1/sources/{rzpId}", """{"status":"active"}""").Json(HttpStatusCode.OK);

        // And then the right request is taken, once: its retry (same provider id) creates nothing
        var taken = await anonymous.PostRazorpay(rzpUrl, RazorpaySecret, body, "e6").Json(HttpStatusCode.OK);
        var replay = await anonymous.PostRazorpay(rzpUrl, RazorpaySecret, body, "e6").Json(HttpStatusCode.OK);
        Assert.True(replay.GetProperty("duplicate").GetBoolean());
        Assert.Equal(taken.Str("event_id"), replay.Str("event_id"));
        var events = await admin.EventsAsync();
        Assert.Equal("razorpay.payment.captured", Assert.Single(events).Str("type"));
        var after = await admin.SourceAsync(rzpId);
        Assert.Equal("verified", after.Str("last_result"));
        Assert.Equal(taken.Str("event_id"), after.Str("last_event_id"));
        Assert.Equal("no_event_type", after.Str("last_failure")); // the last failure stays for its owner to see
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("last_received_at").ValueKind);

        // Stripe sends two v1 while a secret rolls: one matching is enough
        var stripeTs = SourceTestKit.Now;
        var header = SourceTestKit.StripeHeader(StripeSecret, stripeBody, stripeTs) + ",v1=" + new string('0', 64);
        var stripeTaken = await anonymous.PostInbound(stripeUrl, stripeBody, new Dictionary<string, string>
        {
            ["Stripe-Signature"] = $"t={stripeTs},v1={new string('a', 64)},{header[(header.IndexOf(',') + 1)..]}",
        }).Json(HttpStatusCode.OK);
        Assert.Equal("stripe.payment_intent.succeeded", (await admin.EventAsync(stripeTaken.Str("event_id"))).Str("type"));

        // Nothing the senders sent (secrets, tokens) reached the log
        var logs = herald.Logs.All;
        Assert.DoesNotContain(RazorpaySecret, logs);
        Assert.DoesNotContain(StripeSecret, logs);
        Assert.DoesNotContain(rzpUrl[(rzpUrl.LastIndexOf('/') + 1)..], logs);
        Assert.Contains("/in/{token}", logs);
    }

    [Fact]
    public async Task A_body_over_the_limit_without_a_content_length_is_refused_too()
    {
        await using var herald = await StartAsync(Stores.Sqlite, new() { ["Herald:Events:MaxPayloadBytes"] = "4096" });
        var admin = herald.Admin();
        var source = await admin.CreateSourceAsync("razorpay", RazorpaySecret);
        var big = $$"""{"event":"payment.captured","pad":"{{new string('x', 5000)}}"}""";
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(source.Str("inbound_url")).AbsolutePath)
        {
            Content = new StreamContent(new NonSeekableStream(System.Text.Encoding.UTF8.GetBytes(big))),
        };
        request.Headers.TryAddWithoutValidation("X-Razorpay-Signature", SourceTestKit.RazorpaySignature(RazorpaySecret, big));
        request.Headers.TransferEncodingChunked = true;
        await (await herald.Anonymous().SendAsync(request)).Problem(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        Assert.Empty(await admin.EventsAsync());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_source_of_one_project_never_publishes_into_another(string store)
    {
        await using var herald = await StartAsync(store);
        var adminA = herald.Admin();
        var projectB = (await herald.Operator().PostJson("/v1/projects", new { name = "B" }).Json(HttpStatusCode.Created)).Str("id");
        var adminB = herald.ClientWithKey((await herald.Operator().PostJson($"/v1/projects/{projectB}/keys", new { name = "b", role = "admin" })
            .Json(HttpStatusCode.Created)).Str("key"));
        // Both projects subscribe to everything from Razorpay and use the same secret
        foreach (var admin in new[] { adminA, adminB })
            await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/hook", events = new[] { "razorpay.*" } })
                .Json(HttpStatusCode.Created);
        var a = await adminA.CreateSourceAsync("razorpay", RazorpaySecret);
        var b = await adminB.CreateSourceAsync("razorpay", RazorpaySecret);

        var receipt = await herald.Anonymous().PostRazorpay(a.Str("inbound_url"), RazorpaySecret, SourceTestKit.RazorpayPayment("pay_A"), "same_id")
            .Json(HttpStatusCode.OK);
        Assert.Equal(receipt.Str("event_id"), Assert.Single(await adminA.EventsAsync()).Str("id"));
        Assert.Empty(await adminB.EventsAsync());
        Assert.Equal(1, (await adminA.EventAsync(receipt.Str("event_id"))).GetProperty("deliveries").GetInt32());
        await adminB.GetAsync($"/v1/events/{receipt.Str("event_id")}").Problem(HttpStatusCode.NotFound, "not_found");
        await adminB.GetAsync($"/v1/sources/{a.Str("id")}").Problem(HttpStatusCode.NotFound, "not_found");
        await adminB.PatchRaw($"/v1/sources/{a.Str("id")}", """{"status":"disabled"}""").Problem(HttpStatusCode.NotFound, "not_found");
        await adminB.DeleteAsync($"/v1/sources/{a.Str("id")}").Problem(HttpStatusCode.NotFound, "not_found");
        Assert.Single((await adminB.GetAsync("/v1/sources").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());

        // The same provider id at B's URL is B's own first event, not a duplicate of A's
        var atB = await herald.Anonymous().PostRazorpay(b.Str("inbound_url"), RazorpaySecret, SourceTestKit.RazorpayPayment("pay_A"), "same_id")
            .Json(HttpStatusCode.OK);
        Assert.False(atB.GetProperty("duplicate").GetBoolean());
        Assert.Single(await adminA.EventsAsync());
        Assert.Equal(atB.Str("event_id"), Assert.Single(await adminB.EventsAsync()).Str("id"));
    }

    [Fact]
    public async Task Each_source_is_rate_limited_on_its_own()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var herald = await StartAsync(Stores.Sqlite, new() { ["Herald:Sources:RatePerSecond"] = "2" },
            services => services.Replace(ServiceDescriptor.Singleton(provider =>
                new SourceRateLimiter(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>(), clock))));
        var admin = herald.Admin();
        var anonymous = herald.Anonymous();
        var first = (await admin.CreateSourceAsync("razorpay", RazorpaySecret)).Str("inbound_url");
        var second = (await admin.CreateSourceAsync("razorpay", RazorpaySecret)).Str("inbound_url");

        await anonymous.PostRazorpay(first, RazorpaySecret, SourceTestKit.RazorpayPayment("p1"), "r1").Json(HttpStatusCode.OK);
        await anonymous.PostRazorpay(first, RazorpaySecret, SourceTestKit.RazorpayPayment("p2"), "r2").Json(HttpStatusCode.OK);
        await anonymous.PostRazorpay(first, RazorpaySecret, SourceTestKit.RazorpayPayment("p3"), "r3").Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        await anonymous.PostRazorpay(second, RazorpaySecret, SourceTestKit.RazorpayPayment("p4"), "r4").Json(HttpStatusCode.OK); // another source is not slowed
        Assert.Equal(3, (await admin.EventsAsync()).Count);

        clock.Advance(TimeSpan.FromMilliseconds(500)); // one more token at 2/s
        await anonymous.PostRazorpay(first, RazorpaySecret, SourceTestKit.RazorpayPayment("p3"), "r3").Json(HttpStatusCode.OK);
        await anonymous.PostRazorpay(first, RazorpaySecret, SourceTestKit.RazorpayPayment("p5"), "r5").Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        Assert.Equal(4, (await admin.EventsAsync()).Count);
    }

    [Fact]
    public async Task Provider_event_types_are_in_the_catalog_under_their_namespace_and_can_be_subscribed_to()
    {
        await using var herald = await StartAsync(Stores.Sqlite, new() { ["Herald:Delivery:AllowedNetworks:0"] = "93.184.216.0/24" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var catalog = (await admin.GetAsync("/v1/event-types").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().Select(t => t.Str("name")).ToList();
        foreach (var type in new[] { "razorpay.payment.captured", "stripe.payment_intent.succeeded", "github.pull_request.opened", "shopify.orders.create" })
            Assert.Contains(type, catalog);
        var seedList = (await admin.GetAsync($"/projects/{project}/integrations/events").Json(HttpStatusCode.OK)).GetProperty("data")
            .EnumerateArray().Select(e => e.Str("name")).ToList();
        Assert.Contains("razorpay.payment.failed", seedList);

        // Namespaces are open: razorpay.* and standard_webhooks.*, and exact types no list has, are subscribable
        foreach (var events in new[] { new[] { "razorpay.*" }, ["standard_webhooks.*"], ["stripe.radar.early_fraud_warning.created"] })
            await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/h", events }).Json(HttpStatusCode.Created);
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/h", events = new[] { "paypal.*" } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "events[0]");

        // A type Razorpay sends that no list has is published under the namespace and reaches razorpay.* subscribers
        var source = await admin.CreateSourceAsync("razorpay", RazorpaySecret);
        var receipt = await herald.Anonymous().PostRazorpay(source.Str("inbound_url"), RazorpaySecret,
            SourceTestKit.RazorpayPayment("pay_X", "payment.dispute.created"), "dispute_1").Json(HttpStatusCode.OK);
        var e = await admin.EventAsync(receipt.Str("event_id"));
        Assert.Equal("razorpay.payment.dispute.created", e.Str("type"));
        Assert.Equal(1, e.GetProperty("deliveries").GetInt32());
    }

    private static async Task<(HeraldFactory Herald, FakeTimeProvider Time)> StartWithClockAsync(string store, Dictionary<string, string?> settings)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var herald = await StartAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        return (herald, time);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_provider_retry_is_recognised_after_the_events_idempotency_window_until_the_deduplication_window_ends(string store)
    {
        var (herald, time) = await StartWithClockAsync(store, new()
        {
            ["Herald:Events:IdempotencyWindow"] = "00:01:00", ["Herald:Sources:DeduplicationWindow"] = "00:10:00",
        });
        await using var _ = herald;
        var admin = herald.Admin();
        var url = (await admin.CreateSourceAsync("razorpay", RazorpaySecret)).Str("inbound_url");
        var body = SourceTestKit.RazorpayPayment("pay_late");
        var first = await herald.Anonymous().PostRazorpay(url, RazorpaySecret, body, "late_1").Json(HttpStatusCode.OK);

        time.Advance(TimeSpan.FromMinutes(5)); // past the Idempotency-Key window, within the source's own
        var retry = await herald.Anonymous().PostRazorpay(url, RazorpaySecret, body, "late_1").Json(HttpStatusCode.OK);
        Assert.True(retry.GetProperty("duplicate").GetBoolean());
        Assert.Equal(first.Str("event_id"), retry.Str("event_id"));
        Assert.Single(await admin.EventsAsync());

        time.Advance(TimeSpan.FromMinutes(6)); // 11 minutes after the first: forgotten, taken as new
        var later = await herald.Anonymous().PostRazorpay(url, RazorpaySecret, body, "late_1").Json(HttpStatusCode.OK);
        Assert.False(later.GetProperty("duplicate").GetBoolean());
        Assert.Equal(2, (await admin.EventsAsync()).Count);
    }

    [Fact]
    public async Task Signed_timestamps_are_taken_up_to_the_tolerance_either_way_and_refused_one_second_beyond()
    {
        var (herald, time) = await StartWithClockAsync(Stores.Sqlite, new() { ["Herald:Sources:TimestampTolerance"] = "00:05:00" });
        await using var _ = herald;
        var admin = herald.Admin();
        var source = await admin.CreateSourceAsync("stripe", StripeSecret);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var n = 0;
        async Task<HttpResponseMessage> Post(long timestamp)
        {
            var body = $$"""{"id":"evt_edge_{{n++}}","type":"charge.succeeded"}""";
            return await herald.Anonymous().PostInbound(source.Str("inbound_url"), body,
                new Dictionary<string, string> { ["Stripe-Signature"] = SourceTestKit.StripeHeader(StripeSecret, body, timestamp) });
        }
        await (await Post(now - 300)).Json(HttpStatusCode.OK);
        await (await Post(now + 300)).Json(HttpStatusCode.OK);
        await (await Post(now - 301)).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await (await Post(now + 301)).Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal("stale_timestamp", (await admin.SourceAsync(source.Str("id"))).Str("last_failure"));
        Assert.Equal(2, (await admin.EventsAsync()).Count);
    }

    [Theory]
    [InlineData("payment.captured", "razorpay.payment.captured")]
    [InlineData("orders/create", "razorpay.orders.create")]
    [InlineData(" Payment.Captured ", "razorpay.payment.captured")]
    [InlineData("a..b", "razorpay.a.b")]
    [InlineData("weird-type!", "razorpay.weird_type_")]
    [InlineData("...", null)]
    [InlineData("", null)]
    public void Provider_types_become_catalog_names(string providerType, string? expected) =>
        Assert.Equal(expected, SourceReceiver.TypeName("razorpay", providerType));

    [Fact]
    public void Long_or_odd_provider_ids_are_hashed_and_a_missing_one_is_the_body_hash()
    {
        Assert.Equal("evt_1", SourceReceiver.ProviderId("evt_1", []));
        Assert.StartsWith("sha256:", SourceReceiver.ProviderId(new string('x', 151), []));
        Assert.StartsWith("sha256:", SourceReceiver.ProviderId("has space", []));
        Assert.Equal(SourceReceiver.ProviderId(null, [1, 2]), SourceReceiver.ProviderId(null, [1, 2]));
        Assert.NotEqual(SourceReceiver.ProviderId(null, [1, 2]), SourceReceiver.ProviderId(null, [1, 3]));
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
