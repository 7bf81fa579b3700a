using System.Net;
using System.Text;
using Herald.Destinations.Kinds.Nats;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Herald.Tests.Brokers;

/// <summary>Herald's NATS JetStream client against a real nats-server -js: acks, de-duplication, no stream, credentials, network rules.</summary>
public sealed class NatsClientTests(NatsFixture nats) : IClassFixture<NatsFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A consumer-side connection and a stream taking <c>{prefix}.&gt;</c>.</summary>
    internal static async Task<(NatsConnection Connection, NatsJSContext Js, string Prefix)> StreamAsync(NatsServer server, bool tls = false)
    {
        var connection = new NatsConnection(new NatsOpts
        {
            Url = server.Url(),
            TlsOpts = tls ? new NatsTlsOpts { Mode = TlsMode.Require, CaFile = TestCertificates.CaPemPath } : NatsTlsOpts.Default,
        });
        var js = new NatsJSContext(connection);
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        await js.CreateStreamAsync(new StreamConfig(prefix.ToUpperInvariant(), [prefix + ".>"]) { DuplicateWindow = TimeSpan.FromMinutes(2) }, Ct);
        return (connection, js, prefix);
    }

    internal static async Task<List<INatsJSMsg<byte[]>>> ReadAllAsync(NatsJSContext js, string stream, int expected)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { AckPolicy = ConsumerConfigAckPolicy.None }, Ct);
        var messages = new List<INatsJSMsg<byte[]>>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        // Waits (server side) until the expected messages are there: a delivery may still be on its way when this is called.
        await foreach (var msg in consumer.FetchAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = expected, Expires = TimeSpan.FromSeconds(15) },
                           cancellationToken: timeout.Token))
            messages.Add(msg);
        // Then whatever else is there at once: a duplicate must show.
        await foreach (var msg in consumer.FetchNoWaitAsync<byte[]>(new NatsJSFetchOpts { MaxMsgs = 10 }, cancellationToken: timeout.Token))
            messages.Add(msg);
        return messages;
    }

    [Fact]
    public async Task A_message_is_acked_by_the_stream_with_the_event_id_as_Nats_Msg_Id_and_a_repeat_is_dropped_by_the_stream()
    {
        var server = nats.Server;
        var (connection, js, prefix) = await StreamAsync(server);
        await using var _ = connection;
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<NatsClient>();

        var first = await client.PublishAsync("dst_1", server.Url(), prefix + ".order.created", BrokerClients.Message("evt_01",
            headers: new KeyValuePair<string, string>("ce-specversion", "1.0")), Ct);
        var repeat = await client.PublishAsync("dst_1", server.Url(), prefix + ".order.created", BrokerClients.Message("evt_01"), Ct);
        Assert.Equal(Outcomes.BrokerAcknowledged, first.Outcome);
        Assert.Equal(Outcomes.BrokerAcknowledged, repeat.Outcome); // stored before: delivered all the same

        var messages = await ReadAllAsync(js, prefix.ToUpperInvariant(), 1);
        var message = Assert.Single(messages);
        Assert.Equal(prefix + ".order.created", message.Subject);
        Assert.Equal("{\"hello\":\"world\"}", Encoding.UTF8.GetString(message.Data!));
        Assert.Equal("evt_01", message.Headers!["Nats-Msg-Id"].ToString());
        Assert.Equal("application/json", message.Headers["Content-Type"].ToString());
        Assert.Equal("order.created", message.Headers["Herald-Event-Type"].ToString());
        Assert.Equal("1.0", message.Headers["ce-specversion"].ToString());
    }

    [Fact]
    public async Task A_subject_no_stream_takes_is_unroutable()
    {
        var server = nats.Server;
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<NatsClient>();
        var result = await client.PublishAsync("dst_2", server.Url(), "nobody.listens.here", BrokerClients.Message("evt_02"), Ct);
        Assert.Equal(Outcomes.Unroutable, result.Outcome);
        Assert.False(result.Delivered);
        // Retried by the schedule: right after a server restart a stream answers no one until it is recovered.
        Assert.Equal(Herald.Delivery.Transports.TransportVerdict.Retry, result.Verdict);
    }

    [Fact]
    public async Task Wrong_credentials_are_an_auth_error_and_the_right_ones_publish()
    {
        var server = nats.Secured;
        var (connection, _, prefix) = await StreamAsync(server);
        await using var __ = connection;
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<NatsClient>();

        var wrong = await client.PublishAsync("dst_3", server.Url(NatsFixture.User, "wrong-password"), prefix + ".x", BrokerClients.Message("evt_03"), Ct);
        Assert.Equal(Outcomes.AuthError, wrong.Outcome);
        // The same destination with its credentials corrected: the pool opens a new connection.
        var right = await client.PublishAsync("dst_3", server.Url(), prefix + ".x", BrokerClients.Message("evt_04"), Ct);
        Assert.Equal(Outcomes.BrokerAcknowledged, right.Outcome);
    }

    [Fact]
    public async Task Loopback_is_blocked_at_connect_without_allowed_networks_even_when_a_name_resolves_there_later()
    {
        var server = nats.Server;
        await using var strict = BrokerClients.Create(o => o.Delivery.AllowedNetworks.Clear(), fakeResolver: true);
        var client = strict.GetRequiredService<NatsClient>();

        Assert.Equal(Outcomes.BlockedDestination, (await client.PublishAsync("dst_4", server.Url(), "a.b", BrokerClients.Message("evt_05"), Ct)).Outcome);

        var resolver = (FakeResolver)strict.GetRequiredService<HostResolver>();
        resolver.Answers["nats.example.com"] = [IPAddress.Loopback];
        var rebound = await client.PublishAsync("dst_5", $"nats://nats.example.com:{server.Port}", "a.b", BrokerClients.Message("evt_06"), Ct);
        Assert.Equal(Outcomes.BlockedDestination, rebound.Outcome);
    }

    [Fact]
    public async Task A_closed_port_is_a_connect_error()
    {
        await using var services = BrokerClients.Create();
        var client = services.GetRequiredService<NatsClient>();
        var result = await client.PublishAsync("dst_6", $"nats://127.0.0.1:{BrokerServers.FreePort()}", "a.b", BrokerClients.Message("evt_07"), Ct);
        Assert.Equal(Outcomes.ConnectError, result.Outcome);
    }
}
