using System.Text;
using Herald.Destinations.Kinds.Nats;
using Herald.Destinations.Kinds.RabbitMq;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RabbitMQ.Client;

namespace Herald.Tests.Brokers;

/// <summary>
/// A broker restart is survived by the pooled clients: while it is down a publish fails (and would be retried), and the first
/// publish after it is back connects again; every message the broker acknowledged before the restart is still there.
/// Each test has a broker of its own, since it stops it.
/// </summary>
public sealed class BrokerRestartClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RabbitMq_the_next_delivery_after_a_restart_reconnects_and_confirmed_messages_survive()
    {
        await using var server = await RabbitMqServer.StartAsync();
        string queue;
        {
            var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
            await using var _ = connection;
            queue = await RabbitMqClientTests.QueueAsync(channel);
        }
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        for (var i = 0; i < 5; i++)
            Assert.Equal(Outcomes.BrokerConfirmed, (await client.PublishAsync("dst", server.Url(), "", queue, BrokerClients.Message($"evt_a{i}"), Ct)).Outcome);

        await server.StopAsync();
        var down = await client.PublishAsync("dst", server.Url(), "", queue, BrokerClients.Message("evt_down"), Ct);
        Assert.False(down.Delivered);
        Assert.Contains(down.Outcome, new[] { Outcomes.ConnectError, Outcomes.Timeout });

        await server.StartAgainAsync();
        for (var i = 0; i < 5; i++)
            Assert.Equal(Outcomes.BrokerConfirmed, (await client.PublishAsync("dst", server.Url(), "", queue, BrokerClients.Message($"evt_b{i}"), Ct)).Outcome);

        var (consumer, consumerChannel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var __ = consumer;
        var ids = new List<string>();
        while (await consumerChannel.BasicGetAsync(queue, autoAck: true, Ct) is { } got) ids.Add(got.BasicProperties.MessageId!);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"evt_a{i}").Concat(Enumerable.Range(0, 5).Select(i => $"evt_b{i}")), ids);
    }

    [Fact]
    public async Task Nats_the_next_delivery_after_a_restart_reconnects_and_acked_messages_survive()
    {
        await using var server = await NatsServer.StartAsync();
        string prefix;
        {
            var (connection, _, p) = await NatsClientTests.StreamAsync(server);
            await connection.DisposeAsync();
            prefix = p;
        }
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<NatsClient>();

        for (var i = 0; i < 5; i++)
            Assert.Equal(Outcomes.BrokerAcknowledged, (await client.PublishAsync("dst", server.Url(), $"{prefix}.e", BrokerClients.Message($"evt_a{i}"), Ct)).Outcome);

        await server.StopAsync();
        var down = await client.PublishAsync("dst", server.Url(), $"{prefix}.e", BrokerClients.Message("evt_down"), Ct);
        Assert.False(down.Delivered);

        await server.StartAgainAsync();
        for (var i = 0; i < 5; i++)
            Assert.Equal(Outcomes.BrokerAcknowledged, (await client.PublishAsync("dst", server.Url(), $"{prefix}.e", BrokerClients.Message($"evt_b{i}"), Ct)).Outcome);

        await using var reader = new NatsConnection(new NatsOpts { Url = server.Url() });
        var messages = await NatsClientTests.ReadAllAsync(new NatsJSContext(reader), prefix.ToUpperInvariant(), 10);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"evt_a{i}").Concat(Enumerable.Range(0, 5).Select(i => $"evt_b{i}")),
            messages.Select(m => m.Headers!["Nats-Msg-Id"].ToString()));
    }
}
