using Herald.Destinations.Kinds.Nats;
using Herald.Destinations.Kinds.RabbitMq;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Brokers;

/// <summary>amqps:// and tls:// trust Herald:Delivery:ExtraCaCertificates as HTTPS deliveries do, and nothing else the system does not.</summary>
public sealed class BrokerTlsClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Amqps_needs_the_brokers_ca_among_the_extra_certificates()
    {
        await using var server = await RabbitMqServer.StartAsync(tls: true);
        var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var _ = connection;
        var queue = await RabbitMqClientTests.QueueAsync(channel);
        var url = $"amqps://guest:guest@127.0.0.1:{server.TlsPort}/";

        await using (var untrusting = BrokerClients.Create())
        {
            var refused = await untrusting.GetRequiredService<RabbitMqClient>().PublishAsync("dst", url, "", queue, BrokerClients.Message("evt_1"), Ct);
            Assert.Equal(Outcomes.TlsError, refused.Outcome);
        }

        await using var trusting = BrokerClients.Create(o => o.Delivery.ExtraCaCertificates = TestCertificates.CaPemPath);
        var sent = await trusting.GetRequiredService<RabbitMqClient>().PublishAsync("dst", url, "", queue, BrokerClients.Message("evt_2"), Ct);
        Assert.Equal(Outcomes.BrokerConfirmed, sent.Outcome);
        var got = await channel.BasicGetAsync(queue, autoAck: true, Ct);
        Assert.Equal("evt_2", got?.BasicProperties.MessageId);
    }

    [Fact]
    public async Task Nats_tls_needs_the_servers_ca_among_the_extra_certificates()
    {
        await using var server = await NatsServer.StartAsync(tls: true);
        var url = $"tls://127.0.0.1:{server.Port}";
        var (connection, _, prefix) = await NatsClientTests.StreamAsync(server, tls: true);
        await using var __ = connection;

        await using (var untrusting = BrokerClients.Create())
        {
            var refused = await untrusting.GetRequiredService<NatsClient>().PublishAsync("dst", url, prefix + ".a", BrokerClients.Message("evt_1"), Ct);
            Assert.Equal(Outcomes.TlsError, refused.Outcome);
        }

        await using var trusting = BrokerClients.Create(o => o.Delivery.ExtraCaCertificates = TestCertificates.CaPemPath);
        var sent = await trusting.GetRequiredService<NatsClient>().PublishAsync("dst", url, prefix + ".a", BrokerClients.Message("evt_2"), Ct);
        Assert.Equal(Outcomes.BrokerAcknowledged, sent.Outcome);
    }
}
