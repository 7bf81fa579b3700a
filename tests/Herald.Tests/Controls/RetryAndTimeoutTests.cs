using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Controls;

/// <summary>A destination's own retry_schedule and timeout, against the global ones, on both stores (fake time for the schedule).</summary>
public sealed class RetryAndTimeoutTests
{
    internal static async Task<(HeraldFactory Herald, FakeTimeProvider Time)> StartAsync(string store, TestReceiver receiver,
        Dictionary<string, string?>? extra = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:RetrySchedule"] = "5s,5m,30m";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Delivery:CircuitBreakerFailures"] = "1000";
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        var herald = await HeraldFactory.CreateAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        _ = herald.Server;
        return (herald, time);
    }

    internal static string Url(TestReceiver receiver, string path) => $"https://receiver.test:{receiver.Port}{path}";

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_destination_walks_its_own_retry_schedule_while_another_keeps_the_global_one(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context => { context.Response.StatusCode = 500; return Task.CompletedTask; };
        var (herald, time) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var own = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/own"), retry_schedule = "10s, 1m" });
        var global = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/global") });
        Assert.Equal("10s,1m", (await admin.DestinationAsync(own)).Str("retry_schedule"));
        Assert.False((await admin.DestinationAsync(global)).TryGetProperty("retry_schedule", out _));

        var started = time.GetUtcNow();
        var e = (await admin.PublishAsync("db.insert", new { id = 1 })).Str("id");
        var ownDelivery = (await admin.DeliveryOfAsync(e, own)).Str("id");
        var globalDelivery = (await admin.DeliveryOfAsync(e, global)).Str("id");

        async Task<JsonElement> Attempts(string id, int n)
        {
            JsonElement d = default;
            await Eventually.TrueAsync(async () => (d = await admin.DeliveryAsync(id)).GetProperty("attempts").GetInt32() == n, $"{id}: attempt {n}");
            return d;
        }
        static void Near(DateTimeOffset expected, JsonElement d) =>
            Assert.InRange(d.GetProperty("next_attempt_at").GetDateTimeOffset(), expected.AddSeconds(-1), expected.AddSeconds(1));

        Near(started.AddSeconds(10), await Attempts(ownDelivery, 1));
        Near(started.AddSeconds(5), await Attempts(globalDelivery, 1));

        time.Advance(TimeSpan.FromSeconds(5));
        Near(started.AddSeconds(5 + 300), await Attempts(globalDelivery, 2));
        Assert.Equal(1, (await admin.DeliveryAsync(ownDelivery)).GetProperty("attempts").GetInt32()); // its first step is 10 s

        time.Advance(TimeSpan.FromSeconds(5));
        Near(started.AddSeconds(10 + 60), await Attempts(ownDelivery, 2));
        time.Advance(TimeSpan.FromMinutes(1));
        var last = await Attempts(ownDelivery, 3);
        Assert.Equal("failed", last.Str("status")); // two steps: three tries in all
        Assert.Equal("pending", (await admin.DeliveryAsync(globalDelivery)).Str("status"));

        // Cleared, the global schedule applies again.
        await admin.PatchRaw($"/v1/destinations/{own}", """{"retry_schedule":null}""").Json(HttpStatusCode.OK);
        var again = (await admin.PublishAsync("db.update", new { id = 2 })).Str("id");
        var at = time.GetUtcNow();
        Near(at.AddSeconds(5), await Attempts((await admin.DeliveryOfAsync(again, own)).Str("id"), 1));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_destination_timeout_ends_a_hanging_attempt_long_before_the_global_one(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async context =>
        {
            if (context.Request.Path == "/slow") await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
        var (herald, _) = await StartAsync(store, receiver, new() { ["Herald:Delivery:Timeout"] = "00:00:25" });
        await using var _h = herald;
        var admin = herald.Admin();
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/slow"), timeout = 1 });
        Assert.Equal(1, (await admin.DestinationAsync(id)).GetProperty("timeout").GetDouble());

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = (await admin.PublishAsync("db.insert", new { id = 1 })).Str("id");
        JsonElement delivery = default;
        await Eventually.TrueAsync(async () => (delivery = await admin.DeliveryAsync((await admin.DeliveryOfAsync(e, id)).Str("id")))
            .GetProperty("attempts").GetInt32() == 1, "the first attempt ended", TimeSpan.FromSeconds(15));
        var attempt = delivery.GetProperty("attempt_list")[0];
        Assert.Equal("timeout", attempt.Str("outcome"));
        // The attempt's own duration is on the fake clock; the wall clock shows it ended after about 1 s, not the global 25 s.
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(15));

        await admin.PatchRaw($"/v1/destinations/{id}", """{"timeout":"2500ms"}""").Json(HttpStatusCode.OK);
        Assert.Equal(2.5, (await admin.DestinationAsync(id)).GetProperty("timeout").GetDouble());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Bad_schedules_and_timeouts_are_refused_naming_the_field(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        foreach (var (body, field) in new[]
        {
            ("""{"retry_schedule":"10s,soon"}""", "retry_schedule"),
            ("""{"retry_schedule":""}""", "retry_schedule"),
            ("""{"retry_schedule":"31d"}""", "retry_schedule"),
            ("""{"timeout":0.5}""", "timeout"),
            ("""{"timeout":31}""", "timeout"),
            ("""{"timeout":"45s"}""", "timeout"),
            ("""{"timeout":"fast"}""", "timeout"),
            ("""{"timeout":true}""", "timeout"),
            ("""{"timeout":-1}""", "timeout"),
        })
        {
            var create = body.Replace("{", $$"""{"kind":"webhook","url":"{{Url(receiver, "/x")}}",""");
            await admin.PostRaw("/v1/destinations", create).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", field);
        }
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/x"), timeout = 30, retry_schedule = "1m" });
        await admin.PatchRaw($"/v1/destinations/{id}", """{"timeout":0}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "timeout");
        Assert.Equal(30, (await admin.DestinationAsync(id)).GetProperty("timeout").GetDouble());
    }
}
