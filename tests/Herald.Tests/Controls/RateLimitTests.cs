using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Controls;

/// <summary>rate_limit on real time: sends are spaced, waiting is not an attempt, two PostgreSQL nodes share one limit, a 429 slows down.</summary>
public sealed class RateLimitTests
{
    private static Dictionary<string, string?> Settings(TestReceiver receiver)
    {
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Delivery:CircuitBreakerFailures"] = "1000";
        return settings;
    }

    private static string Url(TestReceiver receiver) => $"https://receiver.test:{receiver.Port}/hook";

    /// <summary>No window of one period holds more than the limit (arrival n+limit is at least a period after arrival n, less a margin for the loopback).</summary>
    private static void AssertWithinLimit(IReadOnlyList<ReceivedRequest> received, int limit, TimeSpan period)
    {
        var at = received.Select(r => r.At).Order().ToList();
        for (var i = 0; i + limit < at.Count; i++)
            Assert.True(at[i + limit] - at[i] >= period - TimeSpan.FromMilliseconds(250),
                $"sends {i} and {i + limit} were {(at[i + limit] - at[i]).TotalMilliseconds:0} ms apart: more than {limit} in {period}");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Sends_to_a_rate_limited_destination_wait_for_their_turn_without_spending_tries(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(store, Settings(receiver));
        var admin = herald.Admin();
        var limited = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver), rate_limit = new { per_second = 4 } });
        Assert.Equal(4, (await admin.DestinationAsync(limited)).GetProperty("rate_limit").GetProperty("per_second").GetInt32());

        var started = DateTimeOffset.UtcNow;
        var events = new List<string>();
        for (var i = 0; i < 12; i++) events.Add((await admin.PublishAsync("db.insert", new { i })).Str("id"));
        var received = await receiver.WaitForAsync(12, TimeSpan.FromSeconds(90)); // 3 s of sends; generous for a loaded machine
        AssertWithinLimit(received, 4, TimeSpan.FromSeconds(1));
        Assert.True(received.Max(r => r.At) - started >= TimeSpan.FromSeconds(2), "12 sends at 4/s take over 2 s");
        foreach (var e in events)
        {
            var delivery = await admin.DeliveryOfAsync(e, limited);
            await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(delivery.Str("id"))).Str("status") == "delivered", "delivered");
            Assert.Equal(1, (await admin.DeliveryAsync(delivery.Str("id"))).GetProperty("attempts").GetInt32()); // waiting was no try
        }
    }

    [Fact]
    public async Task Two_postgres_nodes_share_one_rate_limit()
    {
        Stores.RequirePostgres();
        await using var receiver = await TestReceiver.StartAsync();
        await using var a = await HeraldFactory.CreateAsync(Stores.Postgres, Settings(receiver));
        var adminA = a.Admin();
        await adminA.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver), rate_limit = new { per_second = 4 } });
        await using var b = a.Restart();
        var adminB = b.Admin();

        // Each node stores (and hands itself) half of the deliveries: both send, from one shared allowance.
        for (var i = 0; i < 8; i++)
        {
            await adminA.PublishAsync("db.insert", new { node = "a", i });
            await adminB.PublishAsync("db.insert", new { node = "b", i });
        }
        var received = await receiver.WaitForAsync(16, TimeSpan.FromSeconds(90));
        AssertWithinLimit(received, 4, TimeSpan.FromSeconds(1));
        Assert.Equal(16, received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_429_lowers_the_rate_for_a_while(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var first = 0;
        receiver.Respond = context =>
        {
            if (Interlocked.Exchange(ref first, 1) == 0)
            {
                context.Response.StatusCode = 429;
                context.Response.Headers.RetryAfter = "2";
                return Task.CompletedTask;
            }
            return context.Response.WriteAsync("ok");
        };
        await using var herald = await HeraldFactory.CreateAsync(store, Settings(receiver));
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver), rate_limit = new { per_second = 4 }, retry_schedule = "1m" });

        for (var i = 0; i < 5; i++) await admin.PublishAsync("db.insert", new { i });
        var received = (await receiver.WaitForAsync(5, TimeSpan.FromSeconds(90))).OrderBy(r => r.At).ToList();
        // Retry-After pushes the next send 2 s on; after it the interval is doubled (250 ms at 4/s becomes 500 ms).
        Assert.True(received[1].At - received[0].At >= TimeSpan.FromSeconds(1.8), $"{(received[1].At - received[0].At).TotalMilliseconds:0} ms after the 429");
        for (var i = 2; i < received.Count; i++)
            Assert.True(received[i].At - received[i - 1].At >= TimeSpan.FromMilliseconds(380),
                $"send {i} came {(received[i].At - received[i - 1].At).TotalMilliseconds:0} ms after the one before: the rate was not lowered");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Bad_rate_limits_are_refused_naming_the_field(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(store, Settings(receiver));
        var admin = herald.Admin();
        var url = Url(receiver);
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url, rate_limit = new { } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "rate_limit");
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url, rate_limit = new { per_second = 1, per_minute = 5 } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "rate_limit");
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url, rate_limit = new { per_second = 0 } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "rate_limit.per_second");
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url, rate_limit = new { per_minute = 60_001 } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "rate_limit.per_minute");
        await admin.PostRaw("/v1/destinations", $$$"""{"kind":"webhook","url":"{{{url}}}","rate_limit":{"per_hour":5}}""")
            .Problem(HttpStatusCode.BadRequest, "unknown_field");
        await admin.PostRaw("/v1/destinations", $$$"""{"kind":"webhook","url":"{{{url}}}","rate_limit":{"per_second":"5"}}""")
            .Problem(HttpStatusCode.BadRequest, "invalid_type");
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url, rate_limit = new { per_minute = 30 } });
        Assert.Equal(30, (await admin.DestinationAsync(id)).GetProperty("rate_limit").GetProperty("per_minute").GetInt32());
        var cleared = await admin.PatchRaw($"/v1/destinations/{id}", """{"rate_limit":null}""").Json(HttpStatusCode.OK);
        Assert.False(cleared.TryGetProperty("rate_limit", out _));
    }
}
