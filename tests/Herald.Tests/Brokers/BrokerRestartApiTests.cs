using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Brokers;

/// <summary>
/// The broker goes away in the middle of a run and comes back: every event Herald accepted (202) reaches it afterwards,
/// through the usual retries and the circuit breaker, and a real client reads each one from the broker (at least once).
/// </summary>
public sealed class BrokerRestartApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string?> Settings()
    {
        var settings = BrokerApiTests.Settings();
        settings["Herald:Delivery:RetrySchedule"] = string.Join(",", Enumerable.Repeat("1s", 50));
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:CircuitBreakerCooldown"] = "00:00:01";
        settings["Herald:Delivery:CircuitBreakerMaxCooldown"] = "00:00:02";
        settings["Herald:Delivery:ConnectTimeout"] = "00:00:03";
        settings["Herald:Delivery:Timeout"] = "00:00:10";
        return settings;
    }

    private static async Task<List<string>> PublishAsync(HttpClient admin, int count, string batch)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++) ids.Add((await admin.PublishAsync("db.insert", new { batch, i })).Str("id"));
        return ids;
    }

    private static async Task AllDeliveredAsync(HttpClient admin, IEnumerable<string> events, string destination)
    {
        foreach (var id in events)
            await Eventually.TrueAsync(async () =>
            {
                var delivery = await admin.DeliveryOfAsync(id, destination);
                // Failed for good is lost: say so at once, with the outcome that ended it.
                if (delivery.Str("status") == "failed") Assert.Fail($"event {id} failed for good: {delivery.GetRawText()}");
                return delivery.Str("status") == "delivered";
            }, $"event {id} delivered after the broker came back", TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task RabbitMq_stopped_mid_run_every_accepted_event_arrives_after_it_comes_back()
    {
        await using var server = await RabbitMqServer.StartAsync();
        string queue;
        {
            var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
            await using var _ = connection;
            queue = await RabbitMqClientTests.QueueAsync(channel);
        }
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        var destination = await admin.CreateDestinationAsync(new { kind = "rabbitmq", url = server.Url(), routing_key = queue });

        var accepted = await PublishAsync(admin, 15, "before");
        var stopping = server.StopAsync(); // while those are being delivered
        accepted.AddRange(await PublishAsync(admin, 5, "stopping"));
        await stopping;
        accepted.AddRange(await PublishAsync(admin, 15, "down"));
        await server.StartAgainAsync();
        accepted.AddRange(await PublishAsync(admin, 5, "after"));

        await AllDeliveredAsync(admin, accepted, destination);
        var (consumer, consumerChannel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var __ = consumer;
        var received = new List<string>();
        while (await consumerChannel.BasicGetAsync(queue, autoAck: true, Ct) is { } got) received.Add(got.BasicProperties.MessageId!);
        Assert.Empty(accepted.Except(received));
        Assert.Empty(received.Except(accepted));
        Assert.Contains((await admin.DestinationAsync(destination)).Str("last_delivery_status"), new[] { "delivered_confirmed" });
    }

    [Fact]
    public async Task Nats_stopped_mid_run_every_accepted_event_arrives_after_it_comes_back()
    {
        await using var server = await NatsServer.StartAsync();
        string prefix;
        {
            var (connection, _, p) = await NatsClientTests.StreamAsync(server);
            await connection.DisposeAsync();
            prefix = p;
        }
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        var destination = await admin.CreateDestinationAsync(new { kind = "nats", url = server.Url(), subject = prefix + ".{type}" });

        var accepted = await PublishAsync(admin, 15, "before");
        var stopping = server.StopAsync();
        accepted.AddRange(await PublishAsync(admin, 5, "stopping"));
        await stopping;
        accepted.AddRange(await PublishAsync(admin, 15, "down"));
        await server.StartAgainAsync();
        accepted.AddRange(await PublishAsync(admin, 5, "after"));

        await AllDeliveredAsync(admin, accepted, destination);
        await using var reader = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = server.Url() });
        var messages = await NatsClientTests.ReadAllAsync(new NATS.Client.JetStream.NatsJSContext(reader), prefix.ToUpperInvariant(), accepted.Count);
        var received = messages.Select(m => m.Headers!["Nats-Msg-Id"].ToString()).ToList();
        Assert.Empty(accepted.Except(received));
        Assert.Equal(received.Count, received.Distinct().Count()); // the stream dropped any repeat by Nats-Msg-Id
    }
}
