using Microsoft.AspNetCore.Http;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dapper;
using Herald.Delivery;
using Herald.Options;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Delivery;

/// <summary>Delivery in the wild: adaptive concurrency, the circuit breaker, bad destinations beside good ones, shutdown, erasure.</summary>
public sealed class IsolationTests
{
    private static string Url(TestReceiver receiver, string path) => $"https://receiver.test:{receiver.Port}{path}";

    private static Dictionary<string, string?> Settings(TestReceiver receiver, Dictionary<string, string?>? extra = null)
    {
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        foreach (var (key, value) in extra ?? []) settings[key] = value;
        return settings;
    }

    [Fact]
    public void A_lane_halves_its_limit_on_failure_down_to_one_and_grows_back_one_per_success()
    {
        var lane = new DispatchLanes.Lane(16);
        Assert.Equal(1, lane.Limit); // slow start: a destination earns its concurrency
        for (var i = 0; i < 20; i++) lane.Succeeded();
        Assert.Equal(16, lane.Limit);
        Assert.False(lane.Degraded);
        lane.Failed();
        Assert.Equal(8, lane.Limit);
        Assert.True(lane.Degraded);
        lane.Failed(); lane.Failed(); lane.Failed(); lane.Failed();
        Assert.Equal(1, lane.Limit);
        Assert.True(lane.TryAddRunner());
        Assert.False(lane.TryAddRunner()); // one in flight while it fails
        Assert.Equal(1, lane.Headroom); // a failing lane holds only what it may send
        lane.Succeeded();
        Assert.Equal(2, lane.Limit);
        Assert.False(lane.Degraded);
        Assert.True(lane.TryAddRunner());
    }

    [Fact]
    public void The_pool_for_failing_lanes_is_a_small_part_of_the_main_one()
    {
        Assert.Equal(32, DeliveryWorker.DegradedPoolSize(256));
        Assert.Equal(2, DeliveryWorker.DegradedPoolSize(8));
    }

    /// <summary>
    /// Three destinations that accept the request and never answer, beside a healthy one, with a global limit (8) smaller than
    /// what the hanging ones could take (3 × 4): the healthy destination's deliveries still arrive at once.
    /// </summary>
    [Fact]
    public async Task Destinations_that_hang_do_not_hold_up_a_healthy_one()
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = async context =>
        {
            if (context.Request.Path.StartsWithSegments("/hang")) await Task.Delay(Timeout.Infinite, context.RequestAborted);
            else await context.Response.WriteAsync("ok");
        };
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings(receiver, new()
        {
            ["Herald:Delivery:MaxConcurrency"] = "8",
            ["Herald:Delivery:PerDestinationConcurrency"] = "4",
            ["Herald:Delivery:Timeout"] = "00:00:20",
            ["Herald:Delivery:LeaseDuration"] = "00:01:00",
        }));
        var admin = herald.Admin();
        for (var i = 0; i < 3; i++)
            await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, $"/hang/{i}"), events = new[] { "db.*" } });
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/healthy"), events = new[] { "user.*" } });

        for (var i = 0; i < 12; i++) await admin.PublishAsync("db.insert", new { i });
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Count(r => r.PathAndQuery.StartsWith("/hang")) >= 3), "the hanging ones are waited on");

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++) await admin.PublishAsync("user.created", new { i });
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Count(r => r.PathAndQuery == "/healthy") == 5), "healthy deliveries",
            TimeSpan.FromSeconds(10));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"healthy deliveries took {watch.Elapsed}");
        // Each hanging destination has one delivery in flight (its lane shrank to, and started at, 1), not four.
        Assert.Equal(3, receiver.Received.Count(r => r.PathAndQuery.StartsWith("/hang")));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_failing_destination_opens_its_circuit_holds_its_deliveries_without_spending_tries_then_a_probe_closes_it(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var failing = true;
        receiver.Respond = context =>
        {
            if (context.Request.Path == "/flaky" && Volatile.Read(ref failing)) { context.Response.StatusCode = 500; return context.Response.WriteAsync("down"); }
            return context.Response.WriteAsync("ok");
        };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var herald = await HeraldFactory.CreateAsync(store, Settings(receiver, new()
        {
            ["Herald:Delivery:RetrySchedule"] = "1h,1h,1h,1h,1h,1h,1h,1h",
            ["Herald:Delivery:CircuitBreakerFailures"] = "3",
            ["Herald:Delivery:CircuitBreakerCooldown"] = "00:00:30",
        }), services => services.AddSingleton<TimeProvider>(time).AddSingleton(StoreClock.Following(time)));
        var admin = herald.Admin();
        var flaky = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/flaky"), events = new[] { "db.*" } });
        var watcher = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/watcher"), events = new[] { "herald.*" } });
        Assert.Equal("closed", (await admin.DestinationAsync(flaky)).Str("circuit"));

        var events = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            events.Add((await admin.PublishAsync("db.insert", new { i })).Str("id"));
            await receiver.WaitForAsync(i + 1);
            var n = i;
            await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(events[n], flaky)).GetProperty("attempts").GetInt32() == 1, $"attempt {n}");
        }
        JsonElement destination = default;
        await Eventually.TrueAsync(async () => (destination = await admin.DestinationAsync(flaky)).Str("circuit") == "open", "circuit open");
        var reopens = destination.GetProperty("circuit_reopens_at").GetDateTimeOffset();
        Assert.InRange(reopens, time.GetUtcNow().AddSeconds(29), time.GetUtcNow().AddSeconds(31));
        // The console shows it beside the destination, with the time of the next probe.
        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var page = await console.PageAsync("/console/connectors");
        Assert.Contains("data-circuit=\"open\"", page);
        Assert.Contains($"paused until {reopens.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC", page);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(page, "data-circuit="));

        // The project's other destinations hear of it; the failing one is not sent its own notice.
        var notice = (await receiver.WaitForAsync(4)).Single(r => r.PathAndQuery == "/watcher");
        var body = JsonDocument.Parse(notice.Body).RootElement;
        Assert.Equal("herald.destination.circuit_opened", body.Str("type"));
        Assert.Equal(flaky, body.GetProperty("data").Str("destination_id"));

        // While open: new deliveries wait for the cool-down's end, unsent and without spending a try.
        for (var i = 0; i < 4; i++) events.Add((await admin.PublishAsync("db.insert", new { i = 10 + i })).Str("id"));
        foreach (var e in events.Skip(3))
        {
            var held = await admin.DeliveryOfAsync(e, flaky);
            Assert.Equal("pending", held.Str("status"));
            Assert.Equal(0, held.GetProperty("attempts").GetInt32());
            Assert.Equal(reopens, held.GetProperty("next_attempt_at").GetDateTimeOffset());
        }
        await Task.Delay(300);
        Assert.Equal(3, receiver.Received.Count(r => r.PathAndQuery == "/flaky"));

        // After the cool-down one probe goes out; it fails, and the circuit opens again for twice as long.
        time.Advance(TimeSpan.FromSeconds(31));
        await receiver.WaitForAsync(5);
        await Eventually.TrueAsync(async () => (destination = await admin.DestinationAsync(flaky)).Str("circuit") == "open"
            && destination.GetProperty("circuit_reopens_at").GetDateTimeOffset() > time.GetUtcNow().AddSeconds(59), "re-opened for 60 s");
        await Task.Delay(300);
        Assert.Equal(4, receiver.Received.Count(r => r.PathAndQuery == "/flaky"));
        Assert.Single(receiver.Received, r => r.PathAndQuery == "/watcher"); // re-opening is not announced again

        // The destination recovers: the next probe succeeds, the circuit closes, the held deliveries go out.
        Volatile.Write(ref failing, false);
        time.Advance(TimeSpan.FromSeconds(61));
        await Eventually.TrueAsync(async () => (await admin.DestinationAsync(flaky)).Str("circuit") == "closed", "closed");
        // The held deliveries go out, except the one that served as the failed probe: it spent a try and waits for its retry.
        await Eventually.TrueAsync(async () =>
        {
            var states = new List<(string Status, int Attempts)>();
            foreach (var e in events.Skip(3))
            {
                var d = await admin.DeliveryOfAsync(e, flaky);
                states.Add((d.Str("status"), d.GetProperty("attempts").GetInt32()));
            }
            return states.Count(s => s is ("delivered", 1)) == 3 && states.Count(s => s is ("pending", 1)) == 1;
        }, "three held delivered, the failed probe waiting for its retry");
        time.Advance(TimeSpan.FromHours(1));
        foreach (var e in events.Skip(3))
            await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e, flaky)).Str("status") == "delivered", $"held {e} delivered");
        await Eventually.TrueAsync(() => Task.FromResult(receiver.Received.Any(r => r.PathAndQuery == "/watcher"
            && JsonDocument.Parse(r.Body).RootElement.Str("type") == "herald.destination.recovered")), "recovered notice");
        Assert.True((await admin.DestinationAsync(flaky)).GetProperty("circuit_reopens_at").ValueKind == JsonValueKind.Null);
        // The three that failed before the circuit opened kept their own retry schedule: one try each, then delivered an hour on.
        foreach (var e in events.Take(3))
            await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(e, flaky)) is var d && d.Str("status") == "delivered"
                && d.GetProperty("attempts").GetInt32() == 2, $"first {e} retried once");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Shutdown_lets_sends_in_flight_finish_and_hands_back_the_rest_for_the_next_start(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var slow = new TaskCompletionSource();
        receiver.Respond = async context =>
        {
            await slow.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
        var settings = Settings(receiver, new() { ["Herald:Delivery:PerDestinationConcurrency"] = "2", ["Herald:Delivery:ShutdownGrace"] = "00:00:10" });
        var first = await HeraldFactory.CreateAsync(store, settings);
        var admin = first.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/hook") });
        for (var i = 0; i < 12; i++) await admin.PublishAsync("db.insert", new { i });
        await receiver.WaitForAsync(1); // the lane started at one in flight; the rest are queued here, leased to this node

        var stopping = Task.Run(async () => await first.DisposeStopOnlyAsync());
        await Task.Delay(500);
        Assert.False(stopping.IsCompleted); // the send in flight is waited for
        slow.SetResult();
        await stopping;

        var (sent, leased) = await CountAsync(first);
        Assert.Equal(receiver.Received.Count, sent); // what was sent has its outcome written
        Assert.Equal(0, leased); // nothing is left leased to the stopped node

        var watch = Stopwatch.StartNew();
        await using var second = first.Restart();
        _ = second.Server;
        // Handed back, the work is due at once; left leased it would wait for the lease (60 s). Start-up under a loaded
        // machine takes seconds, so the bound is well under the lease, not tight.
        await receiver.WaitForAsync(12, TimeSpan.FromSeconds(30));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"the handed-back work waited {watch.Elapsed}");
        await Task.Delay(300);
        Assert.Equal(12, receiver.Received.Count); // no duplicates
        Assert.Equal(12, receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
        await first.DropStorageAsync();
    }

    /// <summary>
    /// A claim in progress when the stop comes may end with an error instead of a cancellation: SQLite does not cancel a
    /// statement waiting on a lock, it gives up with "database is locked". The worker must still give the sends in flight their
    /// grace, write their outcomes and hand back its leases; before the fix, that error ended the worker there and then.
    /// </summary>
    [Fact]
    public async Task Shutdown_hands_back_the_leases_even_when_the_claim_in_progress_fails_as_the_stop_comes()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var slow = new TaskCompletionSource();
        receiver.Respond = async context =>
        {
            await slow.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
        StallingClaims? claims = null;
        var settings = Settings(receiver, new() { ["Herald:Delivery:PerDestinationConcurrency"] = "2", ["Herald:Delivery:ShutdownGrace"] = "00:00:10" });
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings, services => services.AddSingleton<DeliveryStore>(provider =>
            claims = new StallingClaims(provider.GetRequiredService<Db>(), provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<StoreClock>())));
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/hook") });
        for (var i = 0; i < 12; i++) await admin.PublishAsync("db.insert", new { i });
        await receiver.WaitForAsync(1); // sends in flight, the rest queued in this node's hands

        claims!.Stall = true;
        await claims.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the worker is inside a claim
        var stopping = Task.Run(async () => await herald.DisposeStopOnlyAsync());
        await claims.Failed.Task.WaitAsync(TimeSpan.FromSeconds(30)); // the stop came, and the claim failed
        await Task.Delay(300);
        Assert.False(stopping.IsCompleted); // the sends in flight still get their grace
        slow.SetResult();
        await stopping;

        var (sent, leased) = await CountAsync(herald);
        Assert.Equal(receiver.Received.Count, sent); // what was sent has its outcome written
        Assert.Equal(0, leased); // and nothing is left leased to the stopped node
        await herald.DropStorageAsync();
    }

    /// <summary>Claims as usual until <see cref="Stall"/>; then the next claim waits for the stop and fails as SQLite does on a lock.</summary>
    private sealed class StallingClaims(Db db, TimeProvider time, StoreClock clock) : DeliveryStore(db, time, clock)
    {
        public volatile bool Stall;
        public TaskCompletionSource Stalled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Failed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task<IReadOnlyList<ClaimedDelivery>> ClaimAsync(string node, int take, Func<string, int> headroom, TimeSpan lease,
            int rotate, CancellationToken ct)
        {
            if (!Stall) return await base.ClaimAsync(node, take, headroom, lease, rotate, ct);
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (ct.Register(() => stopped.TrySetResult()))
            {
                Stalled.TrySetResult();
                await stopped.Task;
            }
            Failed.TrySetResult();
            throw new Microsoft.Data.Sqlite.SqliteException("SQLite Error 5: 'database is locked'.", 5);
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task After_erasure_returns_nothing_erased_is_sent_and_outcomes_of_erased_deliveries_are_dropped_quietly(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
        await using var herald = await HeraldFactory.CreateAsync(store, Settings(receiver, new() { ["Herald:Delivery:PerDestinationConcurrency"] = "4" }));
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/hook") });
        for (var i = 0; i < 30; i++) await admin.PublishAsync("db.insert", new { i });
        await receiver.WaitForAsync(1);
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

        await admin.DeleteAsync($"/v1/projects/{project}/data").Json(HttpStatusCode.OK);
        var sentBefore = receiver.Received.Count;
        release.SetResult();
        await Task.Delay(1000);
        Assert.Equal(sentBefore, receiver.Received.Count);
        Assert.DoesNotContain(herald.Logs.Lines, l => l.Contains("could not be written"));
        Assert.Empty((await admin.GetAsync("/v1/events").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray());

        // Delivery goes on for what is published afterwards.
        await admin.PublishAsync("db.insert", new { after = true });
        await receiver.WaitForAsync(sentBefore + 1);
    }

    /// <summary>
    /// Two nodes on one PostgreSQL database whose clocks differ by ten minutes: leases and due times are read on the database's
    /// clock, so the node ahead never takes what the other holds (before, it saw every lease as expired and sent it again).
    /// </summary>
    [Fact]
    public async Task Nodes_whose_clocks_differ_by_ten_minutes_never_take_each_others_leased_work()
    {
        Stores.RequirePostgres();
        await using var receiver = await TestReceiver.StartAsync();
        var release = new TaskCompletionSource();
        receiver.Respond = async context =>
        {
            await release.Task.WaitAsync(context.RequestAborted);
            await context.Response.WriteAsync("ok");
        };
        await using var behind = await HeraldFactory.CreateAsync(Stores.Postgres, Settings(receiver));
        var admin = behind.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = Url(receiver, "/hook") });
        var ahead = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(10));
        await using var other = behind.Restart(services: s => s.AddSingleton<TimeProvider>(ahead));
        _ = other.Server;

        for (var i = 0; i < 6; i++) await admin.PublishAsync("db.insert", new { i }); // leased to the node that stored them
        await receiver.WaitForAsync(1);
        await Task.Delay(1000); // the node ahead polls every 50 ms meanwhile
        // Each node sends one at a time to a destination that has not answered yet; the node ahead may take only what nobody holds.
        Assert.InRange(receiver.Received.Count, 1, 2);

        release.SetResult();
        await receiver.WaitForAsync(6);
        await Task.Delay(500);
        Assert.Equal(6, receiver.Received.Count);
        Assert.Equal(6, receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct().Count());
    }

    private static async Task<(int Sent, int Leased)> CountAsync(HeraldFactory herald)
    {
        await using System.Data.Common.DbConnection connection = herald.Store == Stores.Postgres
            ? new Npgsql.NpgsqlConnection(herald.ConnectionString)
            : new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(herald.DataDirectory, "herald.db")}");
        await connection.OpenAsync();
        var sent = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM attempts");
        var leased = await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM deliveries WHERE lease_owner IS NOT NULL");
        return (sent, leased);
    }
}
