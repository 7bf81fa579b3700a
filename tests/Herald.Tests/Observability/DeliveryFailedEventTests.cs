using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Observability;

/// <summary>herald.delivery.failed: a delivery whose retry schedule ran out is announced to the project's other destinations.</summary>
public sealed class DeliveryFailedEventTests
{
    private static async Task<(HeraldFactory Herald, FakeTimeProvider Time)> StartAsync(string store, TestReceiver receiver)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:RetrySchedule"] = "5s";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Delivery:CircuitBreakerFailures"] = "1000";
        var herald = await HeraldFactory.CreateAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time)));
        _ = herald.Server;
        return (herald, time);
    }

    private static string Url(TestReceiver receiver, string path) => $"https://receiver.test:{receiver.Port}{path}";

    private static List<JsonElement> Notices(TestReceiver receiver, string path, string type) => receiver.Received
        .Where(r => r.PathAndQuery == path).Select(r => JsonDocument.Parse(r.Body).RootElement)
        .Where(e => e.Str("type") == type).ToList();

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_delivery_that_runs_out_of_retries_is_announced_to_the_other_destinations_only(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path == "/fail" ? 500 : 200;
            return Task.CompletedTask;
        };
        var (herald, time) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        // The failing destination takes every type, herald.* included: it must never be told about itself.
        var failing = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/fail") });
        var watcher = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/watch"), events = new[] { "herald.*" } });

        var e = await admin.PublishAsync("db.insert", new { id = 7 });
        var deliveryId = (await admin.DeliveryOfAsync(e.Str("id"), failing)).Str("id");
        await receiver.WaitForAsync(1);
        await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(deliveryId)).GetProperty("attempts").GetInt32() == 1, "first attempt");
        Assert.Empty(Notices(receiver, "/watch", "herald.delivery.failed")); // still on its schedule

        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(deliveryId)).Str("status") == "failed", "delivery failed");
        await Eventually.TrueAsync(() => Task.FromResult(Notices(receiver, "/watch", "herald.delivery.failed").Count == 1), "notice received");

        var notice = Assert.Single(Notices(receiver, "/watch", "herald.delivery.failed"));
        var data = notice.GetProperty("data");
        Assert.Equal(e.Str("id"), data.Str("event_id"));
        Assert.Equal("db.insert", data.Str("event_type"));
        Assert.Equal(failing, data.Str("destination_id"));
        Assert.Equal("webhook", data.Str("kind"));
        Assert.Equal(2, data.GetProperty("attempts").GetInt32());
        Assert.Equal("http_500", data.Str("last_outcome"));

        // The failing destination got only its two tries of the original event, never the notice about itself.
        await Task.Delay(300);
        var atFailing = receiver.Received.Where(r => r.PathAndQuery == "/fail").Select(r => JsonDocument.Parse(r.Body).RootElement.Str("type")).ToList();
        Assert.Equal(["db.insert", "db.insert"], atFailing);
        var types = await admin.GetAsync("/v1/event-types").Json(HttpStatusCode.OK);
        Assert.Contains(types.GetProperty("data").EnumerateArray(), t => t.Str("name") == "herald.delivery.failed");
        _ = watcher;
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_herald_notice_that_fails_is_not_announced_again(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path == "/ok" ? 200 : 500;
            return Task.CompletedTask;
        };
        var (herald, time) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var failing = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/fail"), events = new[] { "db.*" } });
        // Two watchers that fail, and one that answers: only the db.* delivery's failure is announced, never a notice's own.
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/watch1"), events = new[] { "herald.*" } });
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/watch2"), events = new[] { "herald.*" } });
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/ok"), events = new[] { "herald.*" } });

        var e = await admin.PublishAsync("db.insert", new { id = 8 });
        var deliveryId = (await admin.DeliveryOfAsync(e.Str("id"), failing)).Str("id");
        await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(deliveryId)).GetProperty("attempts").GetInt32() == 1, "first attempt");
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(() => Task.FromResult(Notices(receiver, "/ok", "herald.delivery.failed").Count == 1), "notice sent");
        var noticeId = Notices(receiver, "/ok", "herald.delivery.failed")[0].Str("id");
        // Every try of the notice is written (the next one scheduled) before the clock moves on.
        await Eventually.TrueAsync(async () => (await admin.EventAsync(noticeId)).GetProperty("delivery_list").EnumerateArray()
            .All(d => d.GetProperty("attempts").GetInt32() == 1), "the notice's first tries recorded");
        // The watchers fail the notice's second try too, so its delivery ends as failed: that is not announced again.
        time.Advance(TimeSpan.FromSeconds(5));
        foreach (var watch in new[] { "/watch1", "/watch2" })
            await Eventually.TrueAsync(() => Task.FromResult(Notices(receiver, watch, "herald.delivery.failed").Count == 2), $"{watch} tried twice");
        await Task.Delay(500);
        Assert.Single(Notices(receiver, "/ok", "herald.delivery.failed"));
    }
}
