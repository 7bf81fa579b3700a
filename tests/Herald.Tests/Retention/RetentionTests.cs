using System.Net;
using Herald.Retention;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Herald.Tests.Retention;

public sealed class RetentionTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Finished_events_older_than_the_period_are_pruned_with_their_logs_and_pending_ones_stay(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path == "/down" ? 500 : 200;
            return Task.CompletedTask;
        };
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetrySchedule"] = "20d";
        settings["Herald:Retention:Period"] = "10.00:00:00";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Retention:BatchSize"] = "2";
        await using var herald = await HeraldFactory.CreateAsync(store, settings, services => services.AddSingleton<TimeProvider>(time));
        var admin = herald.Admin();
        var up = await admin.CreateDestinationAsync(new { kind = "webhook", url = $"https://receiver.test:{receiver.Port}/up", events = new[] { "db.insert" } });
        var down = await admin.CreateDestinationAsync(new { kind = "webhook", url = $"https://receiver.test:{receiver.Port}/down", events = new[] { "db.update" } });
        var done = new List<string>();
        for (var i = 0; i < 5; i++) done.Add((await admin.PublishAsync("db.insert", new { i })).Str("id"));
        var waiting = (await admin.PublishAsync("db.update", new { i = 9 })).Str("id");
        await receiver.WaitForAsync(6);
        await Eventually.TrueAsync(async () => (await admin.GetAsync($"/v1/destinations/{up}/deliveries?status=delivered").Json(HttpStatusCode.OK))
            .GetProperty("data").GetArrayLength() == 5, "delivered");
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(waiting, down)).GetProperty("attempts").GetInt32() == 1, "first failure");

        var pruner = herald.Services.GetRequiredService<Pruner>();
        Assert.Equal(0, await pruner.PruneAsync(CancellationToken.None)); // nothing is old yet
        time.Advance(TimeSpan.FromDays(11));
        await pruner.PruneAsync(CancellationToken.None); // in batches of 2; the hourly pass may run at the same moment
        await Eventually.TrueAsync(async () => (await admin.GetAsync("/v1/events?type=db.insert").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength() == 0,
            "finished events pruned");
        foreach (var id in done) await admin.GetAsync($"/v1/events/{id}").Problem(HttpStatusCode.NotFound, "not_found");
        Assert.Equal(0, (await admin.GetAsync($"/v1/destinations/{up}/attempts").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Equal("pending", (await admin.DeliveryOfAsync(waiting, down)).Str("status")); // still being retried: kept
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_project_can_erase_its_events_and_logs_and_nothing_of_another_project(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "other" }).Json(HttpStatusCode.Created)).Str("id");
        var otherAdmin = herald.ClientWithKey((await herald.Operator().PostJson($"/v1/projects/{other}/keys", new { name = "a", role = "admin" })
            .Json(HttpStatusCode.Created)).Str("key"));
        for (var i = 0; i < 3; i++) await admin.PublishAsync("db.insert", new { i });
        await admin.PostJson("/v1/usage", new { amount_usd = 5 }).Json(HttpStatusCode.Created);
        await otherAdmin.PublishAsync("db.insert", new { i = 1 });

        await (await otherAdmin.DeleteAsync($"/v1/projects/{project}/data")).Problem(HttpStatusCode.NotFound, "not_found");
        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key"));
        await (await member.DeleteAsync($"/v1/projects/{project}/data")).Problem(HttpStatusCode.Forbidden, "forbidden");

        var erased = await (await admin.DeleteAsync($"/v1/projects/{project}/data")).Json(HttpStatusCode.OK);
        Assert.Equal(3, erased.GetProperty("events_deleted").GetInt32());
        Assert.Equal(0, (await admin.GetAsync("/v1/events").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        Assert.Equal(0m, (await admin.GetAsync($"/v1/projects/{project}/budget").Json(HttpStatusCode.OK)).GetProperty("cycle_spend_usd").GetDecimal());
        Assert.Equal(1, (await otherAdmin.GetAsync("/v1/events").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
        await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK); // keys and configuration stay
    }
}
