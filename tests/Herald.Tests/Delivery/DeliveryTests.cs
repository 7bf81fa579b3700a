using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Delivery;

/// <summary>The dispatcher against real loopback receivers, with fake time to walk the retry schedule.</summary>
public sealed class DeliveryTests
{
    private static async Task<(HeraldFactory Herald, FakeTimeProvider Time)> StartAsync(string store, TestReceiver receiver,
        Dictionary<string, string?>? extra = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:RetrySchedule"] = "5s,5m,30m";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        // These tests walk the retry schedule through long runs of failures: the circuit breaker has its own tests.
        settings["Herald:Delivery:CircuitBreakerFailures"] = "1000";
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        // The test database's clock is the fake clock too (PostgreSQL compares leases and due times on the database's clock).
        var herald = await HeraldFactory.CreateAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        _ = herald.Server;
        return (herald, time);
    }

    private static void AssertNear(DateTimeOffset expected, DateTimeOffset actual) =>
        Assert.InRange(actual, expected.AddSeconds(-1), expected.AddSeconds(1));

    private static string Url(TestReceiver receiver, string path = "/hook") => $"https://receiver.test:{receiver.Port}{path}";

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_published_event_is_delivered_signed_and_logged(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var created = await admin.PostJson("/v1/destinations", new { kind = "webhook", url = Url(receiver) }).Json(HttpStatusCode.Created);
        var destination = created.GetProperty("destination").Str("id");
        var secret = created.Str("signing_secret");

        var e = await admin.PublishAsync("db.insert", new { table = "orders", id = 42 }, new { title = "Order 42 created" });
        var request = Assert.Single(await receiver.WaitForAsync(1));

        // Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with the base64 key after whsec_.
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret[6..]), Encoding.UTF8.GetBytes(signed)));
        Assert.Equal($"v1,{expected}", request.Headers["webhook-signature"]);
        Assert.Equal(e.Str("id"), request.Headers["webhook-id"]);
        Assert.Equal(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(request.Body))),
            request.Headers["x-herald-signature"]);
        var envelope = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("db.insert", envelope.Str("type"));
        Assert.Equal("Order 42 created", envelope.Str("title"));
        Assert.Equal(42, envelope.GetProperty("data").GetProperty("id").GetInt32());

        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e.Str("id"), destination)).Str("status") == "delivered", "delivered");
        var delivery = await admin.DeliveryAsync((await admin.DeliveryOfAsync(e.Str("id"), destination)).Str("id"));
        var attempt = Assert.Single(delivery.GetProperty("attempt_list").EnumerateArray());
        Assert.Equal(1, attempt.GetProperty("attempt_number").GetInt32());
        Assert.Equal(200, attempt.GetProperty("status_code").GetInt32());
        Assert.Equal("delivered_200", attempt.Str("outcome"));
        Assert.Equal("ok", attempt.Str("response_body"));
        Assert.Equal("delivered_200", (await admin.DestinationAsync(destination)).Str("last_delivery_status"));
        var log = await admin.GetAsync($"/v1/destinations/{destination}/deliveries?status=delivered").Json(HttpStatusCode.OK);
        Assert.Single(log.GetProperty("data").EnumerateArray());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_failing_destination_walks_the_retry_schedule_then_fails_and_can_be_retried_and_recovered(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context => { context.Response.StatusCode = 500; return context.Response.WriteAsync("boom"); };
        var (herald, time) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var destination = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver) });
        var started = time.GetUtcNow();
        var e = await admin.PublishAsync("db.insert", new { id = 1 });
        var deliveryId = (await admin.DeliveryOfAsync(e.Str("id"), destination)).Str("id");

        async Task<JsonElement> AfterAttempt(int n)
        {
            await receiver.WaitForAsync(n);
            JsonElement d = default;
            await Eventually.TrueAsync(async () => (d = await admin.DeliveryAsync(deliveryId)).GetProperty("attempts").GetInt32() == n, $"attempt {n} recorded");
            return d;
        }

        var first = await AfterAttempt(1);
        Assert.Equal("pending", first.Str("status"));
        Assert.Equal("http_500", first.Str("last_outcome"));
        AssertNear(started.AddSeconds(5), first.GetProperty("next_attempt_at").GetDateTimeOffset());

        time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(300);
        Assert.Single(receiver.Received); // not before the step
        time.Advance(TimeSpan.FromSeconds(1));
        await AfterAttempt(2);
        time.Advance(TimeSpan.FromMinutes(5));
        await AfterAttempt(3);
        time.Advance(TimeSpan.FromMinutes(30));
        var last = await AfterAttempt(4);
        Assert.Equal("failed", last.Str("status"));
        Assert.Equal([1, 2, 3, 4], last.GetProperty("attempt_list").EnumerateArray().Select(a => a.GetProperty("attempt_number").GetInt32()));
        Assert.All(last.GetProperty("attempt_list").EnumerateArray(), a => Assert.Equal("http_500", a.Str("outcome")));
        time.Advance(TimeSpan.FromHours(10));
        await Task.Delay(300);
        Assert.Equal(4, receiver.Received.Count); // the schedule is exhausted

        receiver.Respond = context => context.Response.WriteAsync("ok");
        var retried = await admin.PostAsync($"/v1/deliveries/{deliveryId}/retry", null).Json(HttpStatusCode.Accepted);
        Assert.Contains(retried.Str("status"), new[] { "pending", "delivered" }); // the worker may already have taken it
        var fifth = await AfterAttempt(5);
        Assert.Equal("delivered", fifth.Str("status"));
        await admin.PostAsync($"/v1/deliveries/{deliveryId}/retry", null).Problem(HttpStatusCode.Conflict, "already_delivered");

        // bulk recover: three more failures, then re-queue them all at once
        receiver.Respond = context => { context.Response.StatusCode = 503; return Task.CompletedTask; };
        await admin.PatchRaw($"/v1/destinations/{destination}", """{"name":"flaky"}""").Json(HttpStatusCode.OK);
        var since = time.GetUtcNow();
        for (var i = 0; i < 3; i++) await admin.PublishAsync("db.update", new { i });
        await receiver.WaitForAsync(8);
        foreach (var step in new[] { TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30) })
        {
            JsonElement pending = default;
            await Eventually.TrueAsync(async () => (pending = await admin.GetAsync($"/v1/destinations/{destination}/deliveries?status=pending").Json(HttpStatusCode.OK))
                .GetProperty("data").EnumerateArray().All(d => d.GetProperty("next_attempt_at").GetDateTimeOffset() > time.GetUtcNow()),
                $"retries scheduled after {time.GetUtcNow():O}: {pending}");
            time.Advance(step * 2);
        }
        await Eventually.TrueAsync(async () => (await admin.GetAsync($"/v1/destinations/{destination}/deliveries?status=failed").Json(HttpStatusCode.OK))
            .GetProperty("data").GetArrayLength() == 3, "three failed");
        receiver.Respond = context => context.Response.WriteAsync("ok");
        var recovered = await admin.PostJson($"/v1/destinations/{destination}/recover", new { since }).Json(HttpStatusCode.OK);
        Assert.Equal(3, recovered.GetProperty("requeued").GetInt32());
        await Eventually.TrueAsync(async () => (await admin.GetAsync($"/v1/destinations/{destination}/deliveries?status=delivered").Json(HttpStatusCode.OK))
            .GetProperty("data").GetArrayLength() == 4, "recovered deliveries delivered");
        await admin.PostJson($"/v1/destinations/{destination}/recover", new { }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "since");
    }

    [Fact]
    public async Task Retry_after_on_429_is_honoured_within_one_to_two_steps()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context => { context.Response.StatusCode = 429; context.Response.Headers.RetryAfter = "120"; return Task.CompletedTask; };
        var (herald, time) = await StartAsync(Stores.Sqlite, receiver);
        await using var _h = herald;
        var destination = await herald.Admin().CreateDestinationAsync(new { kind = "webhook", url = Url(receiver) });
        var now = time.GetUtcNow();
        var e = await herald.Admin().PublishAsync("db.insert", new { id = 1 });
        await receiver.WaitForAsync(1);
        JsonElement d = default;
        await Eventually.TrueAsync(async () => (d = await herald.Admin().DeliveryOfAsync(e.Str("id"), destination)).GetProperty("attempts").GetInt32() == 1, "attempt");
        Assert.Equal("http_429", d.Str("last_outcome"));
        // 120 s asked, step is 5 s: clamped to 2 × 5 s.
        AssertNear(now.AddSeconds(10), d.GetProperty("next_attempt_at").GetDateTimeOffset());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Gone_disables_the_destination_at_once_and_tells_the_other_destinations(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path == "/gone" ? 410 : 200;
            return Task.CompletedTask;
        };
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var gone = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/gone"), events = new[] { "db.*" } });
        var watcher = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/watch"), events = new[] { "herald.*" } });

        var e = await admin.PublishAsync("db.delete", new { id = 1 });
        await Eventually.TrueAsync(async () => (await admin.DestinationAsync(gone)).Str("status") == "auto_disabled", "destination disabled");
        var delivery = await admin.DeliveryOfAsync(e.Str("id"), gone);
        Assert.Equal("failed", delivery.Str("status"));
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());

        // The watcher also hears herald.delivery.failed about the delivery (see DeliveryFailedEventTests).
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Any(r => r.PathAndQuery == "/watch"
            && JsonDocument.Parse(r.Body).RootElement.Str("type") == "herald.destination.disabled")), "disabled notice");
        var notice = receiver.Received.Where(r => r.PathAndQuery == "/watch").Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Single(n => n.Str("type") == "herald.destination.disabled");
        Assert.Equal(gone, notice.GetProperty("data").Str("destination_id"));

        var later = await admin.PublishAsync("db.insert", new { id = 2 });
        Assert.Equal(0, later.GetProperty("deliveries").GetInt32());
        _ = watcher;
    }

    [Fact]
    public async Task A_destination_failing_past_the_disable_period_is_auto_disabled()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context => { context.Response.StatusCode = 500; return Task.CompletedTask; };
        var (herald, time) = await StartAsync(Stores.Sqlite, receiver, new()
        {
            ["Herald:Delivery:RetrySchedule"] = "1h,1h,1h,1h,1h,1h",
            ["Herald:Delivery:DisableAfter"] = "02:30:00",
        });
        await using var _h = herald;
        var destination = await herald.Admin().CreateDestinationAsync(new { kind = "webhook", url = Url(receiver) });
        await herald.Admin().PublishAsync("db.insert", new { id = 1 });
        for (var n = 1; n <= 3; n++)
        {
            await receiver.WaitForAsync(n);
            await Eventually.TrueAsync(async () => (await herald.Admin().GetAsync($"/v1/destinations/{destination}/attempts").Json(HttpStatusCode.OK))
                .GetProperty("data").GetArrayLength() == n, $"attempt {n} written");
            Assert.Equal(n < 4 ? "active" : "auto_disabled", (await herald.Admin().DestinationAsync(destination)).Str("status"));
            time.Advance(TimeSpan.FromHours(1));
        }
        await receiver.WaitForAsync(4); // 3 h after the first failure
        await Eventually.TrueAsync(async () => (await herald.Admin().DestinationAsync(destination)).Str("status") == "auto_disabled", "auto-disabled");
    }

    [Fact]
    public async Task A_hanging_destination_does_not_delay_another()
    {
        await using var slow = await TestReceiver.StartAsync();
        await using var fast = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource();
        slow.Respond = async context => { await release.Task.WaitAsync(context.RequestAborted); await context.Response.WriteAsync("late"); };
        var (herald, _) = await StartAsync(Stores.Sqlite, slow, new()
        {
            ["Herald:Delivery:Resolve:1"] = $"fast.test:{fast.Port}=127.0.0.1:{fast.Port}",
            ["Herald:Delivery:PerDestinationConcurrency"] = "2",
            ["Herald:Delivery:MaxConcurrency"] = "8",
        });
        await using var _h = herald;
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(slow), events = new[] { "db.*" } });
        await admin.CreateDestinationAsync(new { kind = "webhook", url = $"https://fast.test:{fast.Port}/hook", events = new[] { "db.*" } });

        for (var i = 0; i < 30; i++) await admin.PublishAsync("db.insert", new { i });
        await fast.WaitForAsync(30, TimeSpan.FromSeconds(10));
        Assert.True(slow.Received.Count <= 4, $"the slow destination got {slow.Received.Count} concurrent requests");
        release.SetResult();
        await slow.WaitForAsync(30, TimeSpan.FromSeconds(20));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_body_cut_mid_way_or_holding_nul_bytes_is_still_recorded_as_an_attempt(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async context =>
        {
            if (context.Request.Path == "/cut")
            {
                context.Response.ContentLength = 10_000;
                await context.Response.WriteAsync("partial");
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }
            await context.Response.WriteAsync("o\0k");
        };
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var cut = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/cut"), events = new[] { "db.insert" } });
        var nul = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/nul"), events = new[] { "db.insert" } });
        var e = await admin.PublishAsync("db.insert", new { id = 1 });
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e.Str("id"), cut)).GetProperty("attempts").GetInt32() == 1, "cut body recorded");
        Assert.Equal("connect_error", (await admin.DeliveryOfAsync(e.Str("id"), cut)).Str("last_outcome"));
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e.Str("id"), nul)).Str("status") == "delivered", "nul body recorded");
        var attempt = (await admin.DeliveryAsync((await admin.DeliveryOfAsync(e.Str("id"), nul)).Str("id"))).GetProperty("attempt_list")[0];
        Assert.Equal("o\uFFFDk", attempt.Str("response_body"));
    }

    [Fact]
    public async Task Rotated_secret_signs_beside_the_new_one_during_the_overlap_only()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, time) = await StartAsync(Stores.Sqlite, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var oldSecret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var destination = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver), secret = oldSecret });
        var rotated = await admin.PostJson($"/v1/destinations/{destination}/rotate-secret", new { }).Json(HttpStatusCode.OK);
        var newSecret = rotated.Str("secret");
        Assert.NotEqual(oldSecret, newSecret);
        Assert.NotEqual(JsonValueKind.Null, rotated.GetProperty("previous_secret_valid_until").ValueKind);

        await admin.PublishAsync("db.insert", new { id = 1 });
        var during = (await receiver.WaitForAsync(1))[0];
        Assert.Equal(2, during.Headers["webhook-signature"].Split(' ').Length);
        Assert.Equal(2, during.Headers["x-herald-signature"].Split(' ').Length);

        time.Advance(TimeSpan.FromHours(24) + TimeSpan.FromSeconds(1));
        await admin.PublishAsync("db.insert", new { id = 2 });
        var after = (await receiver.WaitForAsync(2))[1];
        Assert.Single(after.Headers["webhook-signature"].Split(' '));
        var signed = $"{after.Headers["webhook-id"]}.{after.Headers["webhook-timestamp"]}.{after.Body}";
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(newSecret[6..]), Encoding.UTF8.GetBytes(signed))),
            after.Headers["webhook-signature"]);
        await admin.PostJson($"/v1/destinations/{destination}/rotate-secret", new { secret = "nope" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_destination_changed_after_it_was_sent_to_is_used_as_changed_at_once(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var created = await admin.PostJson("/v1/destinations", new { kind = "webhook", url = Url(receiver, "/before"), headers = new Dictionary<string, string> { ["X-Tenant"] = "one" } })
            .Json(HttpStatusCode.Created);
        var destination = created.GetProperty("destination").Str("id");
        var firstSecret = created.Str("signing_secret");
        await admin.PublishAsync("db.insert", new { id = 1 });
        var first = (await receiver.WaitForAsync(1))[0];
        Assert.Equal("/before", first.PathAndQuery);
        Assert.Equal("one", first.Headers["x-tenant"]);

        // New URL, new header, new secret: the next send uses all three (sending keeps destinations opened in memory).
        await admin.PatchRaw($"/v1/destinations/{destination}", JsonSerializer.Serialize(new
        {
            url = Url(receiver, "/after"), headers = new Dictionary<string, string> { ["X-Tenant"] = "two" },
        })).Json(HttpStatusCode.OK);
        var newSecret = (await admin.PostJson($"/v1/destinations/{destination}/rotate-secret", new { }).Json(HttpStatusCode.OK)).Str("secret");
        await admin.PublishAsync("db.insert", new { id = 2 });
        var second = (await receiver.WaitForAsync(2))[1];
        Assert.Equal("/after", second.PathAndQuery);
        Assert.Equal("two", second.Headers["x-tenant"]);
        var signed = Encoding.UTF8.GetBytes($"{second.Headers["webhook-id"]}.{second.Headers["webhook-timestamp"]}.{second.Body}");
        Assert.Equal(
            $"v1,{Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(newSecret[6..]), signed))} " +
            $"v1,{Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(firstSecret[6..]), signed))}",
            second.Headers["webhook-signature"]);
    }

    [Fact]
    public async Task Disabling_a_destination_stops_its_pending_deliveries()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context => { context.Response.StatusCode = 500; return Task.CompletedTask; };
        var (herald, time) = await StartAsync(Stores.Sqlite, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var destination = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver) });
        var e = await admin.PublishAsync("db.insert", new { id = 1 });
        await receiver.WaitForAsync(1);
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e.Str("id"), destination)).GetProperty("attempts").GetInt32() == 1, "first attempt");
        await admin.PatchRaw($"/v1/destinations/{destination}", """{"status":"disabled"}""").Json(HttpStatusCode.OK);
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e.Str("id"), destination)).Str("status") == "failed", "stopped");
        var delivery = await admin.DeliveryOfAsync(e.Str("id"), destination);
        Assert.Equal("destination_disabled", delivery.Str("last_outcome"));
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        Assert.Single(receiver.Received);
    }
}
