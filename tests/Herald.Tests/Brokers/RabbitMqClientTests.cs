using System.Net;
using System.Text;
using Herald.Destinations.Kinds.RabbitMq;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Herald.Tests.Brokers;

/// <summary>Herald's RabbitMQ client against a real rabbitmq-server: confirms, returns, nacks, credentials, network rules, pooling.</summary>
public sealed class RabbitMqClientTests(RabbitMqFixture broker) : IClassFixture<RabbitMqFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<(IConnection Connection, IChannel Channel)> ConsumerAsync(RabbitMqServer server)
    {
        var connection = await new ConnectionFactory { Uri = new Uri(server.Url()) }.CreateConnectionAsync(Ct);
        return (connection, await connection.CreateChannelAsync(cancellationToken: Ct));
    }

    internal static async Task<string> QueueAsync(IChannel channel, IDictionary<string, object?>? arguments = null)
    {
        var name = "q-" + Guid.NewGuid().ToString("N")[..12];
        await channel.QueueDeclareAsync(name, durable: true, exclusive: false, autoDelete: false, arguments: arguments, cancellationToken: Ct);
        return name;
    }

    [Fact]
    public async Task A_confirmed_message_is_persistent_and_carries_the_event_id_type_content_type_and_timestamp()
    {
        var server = broker.Server;
        var (connection, channel) = await ConsumerAsync(server);
        await using var _ = connection;
        var queue = await QueueAsync(channel);
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        var result = await client.PublishAsync("dst_1", server.Url(), "", queue,
            BrokerClients.Message("evt_01", headers: new KeyValuePair<string, string>("ce-specversion", "1.0")), Ct);

        Assert.Equal(Outcomes.BrokerConfirmed, result.Outcome);
        Assert.True(result.Delivered);
        var got = await channel.BasicGetAsync(queue, autoAck: true, Ct);
        Assert.NotNull(got);
        Assert.Equal("{\"hello\":\"world\"}", Encoding.UTF8.GetString(got.Body.Span));
        Assert.Equal("evt_01", got.BasicProperties.MessageId);
        Assert.Equal("order.created", got.BasicProperties.Type);
        Assert.Equal("application/json", got.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, got.BasicProperties.DeliveryMode);
        Assert.Equal(1_760_000_000, got.BasicProperties.Timestamp.UnixTime);
        Assert.Equal("1.0", Encoding.UTF8.GetString((byte[])got.BasicProperties.Headers!["ce-specversion"]!));
    }

    [Fact]
    public async Task A_message_no_queue_takes_is_unroutable_and_so_is_one_for_a_missing_exchange()
    {
        var server = broker.Server;
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        var returned = await client.PublishAsync("dst_2", server.Url(), "", "no-queue-has-this-name", BrokerClients.Message("evt_02"), Ct);
        Assert.Equal(Outcomes.Unroutable, returned.Outcome);
        Assert.False(returned.Delivered);

        var noExchange = await client.PublishAsync("dst_2", server.Url(), "no-such-exchange", "x", BrokerClients.Message("evt_03"), Ct);
        Assert.Equal(Outcomes.Unroutable, noExchange.Outcome);

        // The channel the broker closed is not reused: the next message is confirmed.
        var (connection, channel) = await ConsumerAsync(server);
        await using var _ = connection;
        var queue = await QueueAsync(channel);
        var next = await client.PublishAsync("dst_2", server.Url(), "", queue, BrokerClients.Message("evt_04"), Ct);
        Assert.Equal(Outcomes.BrokerConfirmed, next.Outcome);
    }

    [Fact]
    public async Task A_queue_that_rejects_publishes_when_full_makes_a_nack()
    {
        var server = broker.Server;
        var (connection, channel) = await ConsumerAsync(server);
        await using var _ = connection;
        var queue = await QueueAsync(channel, new Dictionary<string, object?> { ["x-max-length"] = 1, ["x-overflow"] = "reject-publish" });
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        Assert.Equal(Outcomes.BrokerConfirmed, (await client.PublishAsync("dst_3", server.Url(), "", queue, BrokerClients.Message("evt_05"), Ct)).Outcome);
        Assert.Equal(Outcomes.Nack, (await client.PublishAsync("dst_3", server.Url(), "", queue, BrokerClients.Message("evt_06"), Ct)).Outcome);
    }

    [Fact]
    public async Task Wrong_credentials_and_a_forbidden_virtual_host_are_auth_errors()
    {
        var server = broker.Server;
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        var wrong = await client.PublishAsync("dst_4", server.Url("guest", "not-the-password"), "", "q", BrokerClients.Message("evt_07"), Ct);
        Assert.Equal(Outcomes.AuthError, wrong.Outcome);

        var vhost = await client.PublishAsync("dst_5", $"amqp://guest:guest@127.0.0.1:{server.Port}/no-such-vhost", "", "q", BrokerClients.Message("evt_08"), Ct);
        Assert.Equal(Outcomes.AuthError, vhost.Outcome);
    }

    [Fact]
    public async Task A_changed_url_closes_the_pooled_connection_and_the_next_delivery_uses_the_new_one()
    {
        var server = broker.Server;
        var (connection, channel) = await ConsumerAsync(server);
        await using var _ = connection;
        var queue = await QueueAsync(channel);
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();

        Assert.Equal(Outcomes.BrokerConfirmed, (await client.PublishAsync("dst_6", server.Url(), "", queue, BrokerClients.Message("evt_09"), Ct)).Outcome);
        // Same destination, new (wrong) credentials: the open connection is not reused.
        Assert.Equal(Outcomes.AuthError,
            (await client.PublishAsync("dst_6", server.Url("guest", "changed"), "", queue, BrokerClients.Message("evt_10"), Ct)).Outcome);
        Assert.Equal(Outcomes.BrokerConfirmed, (await client.PublishAsync("dst_6", server.Url(), "", queue, BrokerClients.Message("evt_11"), Ct)).Outcome);
        Assert.Equal(1, client.PooledDestinations);
    }

    [Fact]
    public async Task Loopback_is_blocked_at_connect_without_allowed_networks_even_when_a_name_resolves_there_later()
    {
        var server = broker.Server;
        await using var strict = BrokerClients.Create(o => o.Delivery.AllowedNetworks.Clear(), fakeResolver: true);
        var client = strict.GetRequiredService<RabbitMqClient>();

        var literal = await client.PublishAsync("dst_7", server.Url(), "", "q", BrokerClients.Message("evt_12"), Ct);
        Assert.Equal(Outcomes.BlockedDestination, literal.Outcome);

        // DNS rebinding: the name passed the install check with a public answer, and now answers loopback.
        var resolver = (FakeResolver)strict.GetRequiredService<HostResolver>();
        resolver.Answers["broker.example.com"] = [IPAddress.Loopback];
        var rebound = await client.PublishAsync("dst_8", $"amqp://guest:guest@broker.example.com:{server.Port}/", "", "q", BrokerClients.Message("evt_13"), Ct);
        Assert.Equal(Outcomes.BlockedDestination, rebound.Outcome);
    }

    [Fact]
    public async Task A_closed_port_is_a_connect_error()
    {
        var port = BrokerServers.FreePort();
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<RabbitMqClient>();
        var result = await client.PublishAsync("dst_9", $"amqp://guest:guest@127.0.0.1:{port}/", "", "q", BrokerClients.Message("evt_14"), Ct);
        Assert.Equal(Outcomes.ConnectError, result.Outcome);
    }
}
