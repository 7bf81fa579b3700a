using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Controls;

/// <summary>ordering: "fifo" on both stores: one at a time in publish order, through retries and a restart.</summary>
public sealed class FifoTests
{
    /// <summary>A receiver that records the order of event numbers (data.n) and the most requests it ever had in flight at once.</summary>
    private sealed class OrderedReceiver
    {
        private int _inFlight;
        public int MaxInFlight;
        public readonly List<int> Order = [];
        public Func<int, int, HttpContext, Task<bool>> Fail = (_, _, _) => Task.FromResult(false); // (n, time this n arrived, context)
        private readonly Dictionary<int, int> _seen = [];
        public readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> Numbers = new();

        public async Task PublishAsync(HttpClient admin, int n) => Numbers[(await admin.PublishAsync("db.insert", new { n })).Str("id")] = n;

        public async Task Respond(HttpContext context)
        {
            var now = Interlocked.Increment(ref _inFlight);
            lock (Order) MaxInFlight = Math.Max(MaxInFlight, now);
            try
            {
                // (The test receiver has read the body already: the event is known by its webhook-id.)
                var id = context.Request.Headers["webhook-id"].ToString();
                int n;
                for (var waited = 0; !Numbers.TryGetValue(id, out n); waited++) // the send may beat the test's own bookkeeping
                {
                    if (waited > 500) throw new InvalidOperationException($"unknown event {id}");
                    await Task.Delay(10);
                }
                int times;
                lock (Order)
                {
                    Order.Add(n);
                    _seen[n] = times = _seen.GetValueOrDefault(n) + 1;
                }
                await Task.Delay(30); // long enough for a second send to overlap, if one were allowed
                if (await Fail(n, times, context)) return;
                await context.Response.WriteAsync("ok");
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Fifo_sends_one_at_a_time_in_publish_order_and_a_failing_event_holds_the_rest_through_its_retries(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var ordered = new OrderedReceiver
        {
            Fail = (n, times, context) =>
            {
                if (n != 2 || times > 2) return Task.FromResult(false);
                context.Response.StatusCode = 503; // event 2 fails twice, then is delivered
                return Task.FromResult(true);
            },
        };
        receiver.Respond = ordered.Respond;
        var (herald, time) = await RetryAndTimeoutTests.StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var fifo = await admin.CreateDestinationAsync(new
        {
            kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/fifo"), ordering = "fifo", retry_schedule = "10s,10s,10s",
        });
        Assert.Equal("fifo", (await admin.DestinationAsync(fifo)).Str("ordering"));

        for (var n = 1; n <= 6; n++) await ordered.PublishAsync(admin, n);
        await receiver.WaitForAsync(2); // 1, then 2 fails
        await Task.Delay(500);
        Assert.Equal([1, 2], ordered.Order); // 3..6 wait behind 2 (which waits 10 s of fake time)
        time.Advance(TimeSpan.FromSeconds(10));
        await receiver.WaitForAsync(3);
        await Task.Delay(300);
        Assert.Equal([1, 2, 2], ordered.Order);
        time.Advance(TimeSpan.FromSeconds(10));
        await receiver.WaitForAsync(8);
        Assert.Equal([1, 2, 2, 2, 3, 4, 5, 6], ordered.Order);
        Assert.Equal(1, ordered.MaxInFlight);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Fifo_order_holds_across_a_restart(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var hold = new TaskCompletionSource();
        var ordered = new OrderedReceiver
        {
            // Event 3 hangs until the node has stopped: its send is abandoned and handed back.
            Fail = async (n, times, context) =>
            {
                if (n == 3 && times == 1)
                {
                    await hold.Task;
                    context.Abort();
                    return true;
                }
                return false;
            },
        };
        receiver.Respond = ordered.Respond;
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Delivery:ShutdownGrace"] = "00:00:00.500";
        var first = await HeraldFactory.CreateAsync(store, settings);
        var admin = first.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/fifo"), ordering = "fifo" });
        for (var n = 1; n <= 6; n++) await ordered.PublishAsync(admin, n);
        await receiver.WaitForAsync(3);
        await first.DisposeStopOnlyAsync();
        hold.SetResult();
        Assert.Equal([1, 2, 3], ordered.Order);

        await using var second = first.Restart();
        _ = second.Server;
        try
        {
            await receiver.WaitForAsync(7);
            Assert.Equal([1, 2, 3, 3, 4, 5, 6], ordered.Order); // 3 again (at least once), then the rest in order
            Assert.Equal(1, ordered.MaxInFlight);
        }
        finally
        {
            await second.DisposeStopOnlyAsync();
            await first.DropStorageAsync();
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Only_fifo_is_an_ordering(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await RetryAndTimeoutTests.StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/x"), ordering = "lifo" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "ordering");
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/x"), ordering = "fifo" });
        var cleared = await admin.PatchRaw($"/v1/destinations/{id}", """{"ordering":null}""").Json(HttpStatusCode.OK);
        Assert.False(cleared.TryGetProperty("ordering", out _));
    }
}
