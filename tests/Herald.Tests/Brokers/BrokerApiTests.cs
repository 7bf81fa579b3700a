using System.Net;
using System.Text;
using System.Text.Json;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NATS.Client.Core;
using NATS.Client.JetStream;
using RabbitMQ.Client;

namespace Herald.Tests.Brokers;

/// <summary>
/// The rabbitmq and nats kinds through Herald's API, with a real broker on the other side and a real client consuming what
/// Herald published: the envelope and its properties, the test button, failures reported inline, the network rules at install
/// and at connect, and the URL (credentials) never shown or logged.
/// </summary>
public sealed class BrokerApiTests(RabbitMqFixture rabbit, NatsFixture nats) : IClassFixture<RabbitMqFixture>, IClassFixture<NatsFixture>
{
    private const string RabbitUser = "herald-app";
    private const string RabbitPassword = "R4bbit-pw-9c1e7d";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static Dictionary<string, string?> Settings() => new()
    {
        ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8",
        ["Herald:Delivery:PollInterval"] = "00:00:00.050",
        ["Herald:Delivery:RetrySchedule"] = "1h",
    };

    /// <summary>A durable topic exchange with one queue bound to everything, for the consumer side.</summary>
    internal static async Task<(string Exchange, string Queue)> TopicAsync(IChannel channel)
    {
        var exchange = "herald-" + Guid.NewGuid().ToString("N")[..8];
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, cancellationToken: Ct);
        var queue = await RabbitMqClientTests.QueueAsync(channel);
        await channel.QueueBindAsync(queue, exchange, "#", cancellationToken: Ct);
        return (exchange, queue);
    }

    /// <summary>Waits for the next message on <paramref name="queue"/>.</summary>
    internal static async Task<BasicGetResult> NextAsync(IChannel channel, string queue)
    {
        BasicGetResult? got = null;
        await Eventually.TrueAsync(async () => (got = await channel.BasicGetAsync(queue, autoAck: true, Ct)) is not null, "a message on " + queue,
            TimeSpan.FromSeconds(60));
        return got!;
    }

    private static async Task<string> ProjectAsync(HttpClient admin) => (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task RabbitMq_destination_publishes_the_envelope_as_a_persistent_confirmed_message(string store)
    {
        var server = rabbit.Server;
        await server.EnsureUserAsync(RabbitUser, RabbitPassword);
        var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var _c = connection;
        var (exchange, queue) = await TopicAsync(channel);
        await using var herald = await HeraldFactory.CreateAsync(store, Settings());
        var admin = herald.Admin();
        var project = await ProjectAsync(admin);

        var response = await admin.PostJson("/v1/destinations", new
        {
            kind = "rabbitmq", name = "orders bus", url = server.Url(RabbitUser, RabbitPassword), exchange, routing_key = "{project_id}.{type}",
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain(RabbitPassword, text);
        var destination = JsonDocument.Parse(text).RootElement.GetProperty("destination");
        var id = destination.Str("id");
        Assert.Equal("rabbitmq", destination.Str("kind"));
        Assert.Equal("127.0.0.1", destination.Str("destination_host"));
        Assert.Equal(exchange, destination.Str("exchange"));
        Assert.Equal("{project_id}.{type}", destination.Str("routing_key"));
        Assert.False(destination.TryGetProperty("url", out _));
        Assert.False(destination.GetProperty("signed").GetBoolean());

        var published = await admin.PublishAsync("db.insert", new { table = "orders", id = 42 }, new { title = "Order 42 created" });
        var got = await NextAsync(channel, queue);
        Assert.Equal(exchange, got.Exchange);
        Assert.Equal($"{project}.db.insert", got.RoutingKey);
        Assert.Equal(published.Str("id"), got.BasicProperties.MessageId);
        Assert.Equal("db.insert", got.BasicProperties.Type);
        Assert.Equal("application/json", got.BasicProperties.ContentType);
        Assert.Equal(DeliveryModes.Persistent, got.BasicProperties.DeliveryMode);
        Assert.InRange(got.BasicProperties.Timestamp.UnixTime, DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        var envelope = JsonDocument.Parse(got.Body.ToArray()).RootElement;
        Assert.Equal(published.Str("id"), envelope.Str("id"));
        Assert.Equal("herald", envelope.Str("source"));
        Assert.Equal("db.insert", envelope.Str("type"));
        Assert.Equal("Order 42 created", envelope.Str("title"));
        Assert.False(string.IsNullOrEmpty(envelope.Str("body")));
        Assert.Equal(42, envelope.GetProperty("data").GetProperty("id").GetInt32());
        Assert.True(DateTimeOffset.TryParse(envelope.Str("occurred_at"), out _));

        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(published.Str("id"), id)).Str("status") == "delivered", "delivered");
        var delivery = await admin.DeliveryAsync((await admin.DeliveryOfAsync(published.Str("id"), id)).Str("id"));
        var attempt = Assert.Single(delivery.GetProperty("attempt_list").EnumerateArray());
        Assert.Equal(Outcomes.BrokerConfirmed, attempt.Str("outcome"));
        Assert.Equal(JsonValueKind.Null, attempt.GetProperty("status_code").ValueKind);

        // The test button sends test.ping through the same path and reports inline.
        var test = await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.True(test.GetProperty("ok").GetBoolean());
        Assert.Equal(Outcomes.BrokerConfirmed, test.Str("status"));
        var ping = await NextAsync(channel, queue);
        Assert.Equal("test.ping", ping.BasicProperties.Type);
        Assert.Equal($"{project}.test.ping", ping.RoutingKey);
        Assert.Equal(Outcomes.BrokerConfirmed, (await admin.DestinationAsync(id)).Str("last_delivery_status"));

        foreach (var listing in new[] { "/v1/destinations", $"/v1/destinations/{id}", "/v2/marketplace/installations", "/api/v1/connectors" })
            Assert.DoesNotContain(RabbitPassword, await (await admin.GetAsync(listing)).Content.ReadAsStringAsync());
        Assert.DoesNotContain(RabbitPassword, herald.Logs.All);
    }

    [Fact]
    public async Task Nats_destination_publishes_to_jetstream_with_the_event_id_as_Nats_Msg_Id()
    {
        var server = nats.Secured;
        var (connection, js, prefix) = await NatsClientTests.StreamAsync(server);
        await using var _c = connection;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        var project = await ProjectAsync(admin);

        var response = await admin.PostJson("/v1/destinations", new { kind = "nats", url = server.Url(), subject = prefix + ".{project_id}.{type}" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.DoesNotContain(NatsFixture.Password, text);
        var destination = JsonDocument.Parse(text).RootElement.GetProperty("destination");
        Assert.Equal("NATS JetStream", destination.Str("name"));
        Assert.Equal(prefix + ".{project_id}.{type}", destination.Str("subject"));
        var id = destination.Str("id");

        var published = await admin.PublishAsync("db.insert", new { id = 7 });
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(published.Str("id"), id)).Str("status") == "delivered", "delivered");
        var test = await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.True(test.GetProperty("ok").GetBoolean());
        Assert.Equal(Outcomes.BrokerAcknowledged, test.Str("status"));

        var messages = await NatsClientTests.ReadAllAsync(js, prefix.ToUpperInvariant(), 2);
        Assert.Equal(2, messages.Count);
        Assert.Equal($"{prefix}.{project}.db.insert", messages[0].Subject);
        Assert.Equal(published.Str("id"), messages[0].Headers!["Nats-Msg-Id"].ToString());
        Assert.Equal("application/json", messages[0].Headers!["Content-Type"].ToString());
        var envelope = JsonDocument.Parse(messages[0].Data!).RootElement;
        Assert.Equal(published.Str("id"), envelope.Str("id"));
        Assert.Equal("db.insert", envelope.Str("type"));
        Assert.Equal(7, envelope.GetProperty("data").GetProperty("id").GetInt32());
        Assert.Equal($"{prefix}.{project}.test.ping", messages[1].Subject);
        Assert.DoesNotContain(NatsFixture.Password, herald.Logs.All);
        Assert.DoesNotContain(NatsFixture.Password, await (await admin.GetAsync($"/v1/destinations/{id}")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Wrong_credentials_and_unroutable_messages_are_reported_inline_and_unroutable_deliveries_are_not_retried()
    {
        var server = rabbit.Server;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();

        async Task<JsonElement> TestAsync(object body) =>
            await admin.PostAsync($"/v1/destinations/{await admin.CreateDestinationAsync(body)}/test", null).Json(HttpStatusCode.OK);

        var wrong = await TestAsync(new { kind = "rabbitmq", url = server.Url("guest", "not-the-password") });
        Assert.False(wrong.GetProperty("ok").GetBoolean());
        Assert.Equal(Outcomes.AuthError, wrong.Str("status"));

        var natsWrong = await TestAsync(new { kind = "nats", url = nats.Secured.Url(NatsFixture.User, "not-the-password") });
        Assert.Equal(Outcomes.AuthError, natsWrong.Str("status"));

        var noStream = await TestAsync(new { kind = "nats", url = nats.Server.Url(), subject = "nobody.listens.{type}" });
        Assert.False(noStream.GetProperty("ok").GetBoolean());
        Assert.Equal(Outcomes.Unroutable, noStream.Str("status"));

        var nowhere = await admin.CreateDestinationAsync(new { kind = "rabbitmq", url = server.Url(), routing_key = "no-queue.{type}" });
        var test = await admin.PostAsync($"/v1/destinations/{nowhere}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal(Outcomes.Unroutable, test.Str("status"));

        // A delivery the broker returns fails for good on its first try: another try would be returned the same way.
        var published = await admin.PublishAsync("db.insert", new { id = 1 });
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(published.Str("id"), nowhere)).Str("status") == "failed", "failed");
        var delivery = await admin.DeliveryOfAsync(published.Str("id"), nowhere);
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(Outcomes.Unroutable, delivery.Str("last_outcome"));
    }

    [Fact]
    public async Task Broker_hosts_follow_the_network_rules_at_install_and_at_connect()
    {
        var (rabbitServer, natsServer) = (rabbit.Server, nats.Server);
        var settings = Settings();
        settings.Remove("Herald:Delivery:AllowedNetworks:0"); // loopback is blocked, as in production
        FakeResolver? resolver = null;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings, services => services.AddSingleton<HostResolver>(provider =>
            resolver = new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>())));
        var admin = herald.Admin();
        _ = herald.Services.GetRequiredService<HostResolver>();
        resolver!.Answers["rabbit.example.com"] = [IPAddress.Parse("93.184.216.34")];
        resolver.Answers["nats.example.com"] = [IPAddress.Parse("93.184.216.34")];
        resolver.Answers["internal.example.com"] = [IPAddress.Parse("10.1.2.3")];

        // At install: a loopback or private broker is refused, naming the url, and nothing is created.
        foreach (var body in new object[]
        {
            new { kind = "rabbitmq", url = rabbitServer.Url() },
            new { kind = "nats", url = natsServer.Url() },
            new { kind = "rabbitmq", url = "amqps://u:p@internal.example.com/vhost" },
            new { kind = "nats", url = "tls://localhost:4222" },
        })
        {
            var refused = await admin.PostJson("/v1/destinations", body);
            await refused.Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "url");
        }
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        // At connect: the names passed the install check with a public answer, then answer loopback (DNS rebinding).
        var rabbitId = await admin.CreateDestinationAsync(new { kind = "rabbitmq", url = $"amqp://guest:guest@rabbit.example.com:{rabbitServer.Port}/" });
        var natsId = await admin.CreateDestinationAsync(new { kind = "nats", url = $"nats://nats.example.com:{natsServer.Port}" });
        resolver.Answers["rabbit.example.com"] = [IPAddress.Loopback];
        resolver.Answers["nats.example.com"] = [IPAddress.Loopback];
        foreach (var id in new[] { rabbitId, natsId })
        {
            var test = await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
            Assert.False(test.GetProperty("ok").GetBoolean());
            Assert.Equal(Outcomes.BlockedDestination, test.Str("status"));
        }
    }

    [Fact]
    public async Task Bad_broker_settings_are_refused_naming_the_field_and_change_nothing()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        var url = rabbit.Server.Url();
        var natsUrl = nats.Server.Url();

        var cases = new (object Body, HttpStatusCode Status, string Code, string Field)[]
        {
            (new { kind = "rabbitmq", url = "https://93.184.216.34/x" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "url"),
            (new { kind = "nats", url = url }, HttpStatusCode.UnprocessableEntity, "validation_failed", "url"),
            (new { kind = "rabbitmq", url, exchange = "bad name!" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "exchange"),
            (new { kind = "rabbitmq", url, routing_key = "{event}" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "routing_key"),
            (new { kind = "rabbitmq", url, routing_key = new string('k', 256) }, HttpStatusCode.UnprocessableEntity, "validation_failed", "routing_key"),
            (new { kind = "nats", url = natsUrl, subject = "herald.*" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "subject"),
            (new { kind = "nats", url = natsUrl, subject = "herald..{type}" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "subject"),
            (new { kind = "nats", url = natsUrl, subject = "herald {type}" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "subject"),
            (new { kind = "nats", url = natsUrl, format = "xml" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "format"),
            (new { kind = "rabbitmq", url, source = "/svc" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "source"),
            (new { kind = "nats", url = natsUrl, exchange = "x" }, HttpStatusCode.BadRequest, "unknown_field", "exchange"),
            (new { kind = "rabbitmq", url, exchange = 5 }, HttpStatusCode.BadRequest, "invalid_type", "exchange"),
            (new { kind = "rabbitmq", url, method = "PUT" }, HttpStatusCode.UnprocessableEntity, "validation_failed", "method"),
        };
        foreach (var (body, status, code, field) in cases)
            await admin.PostJson("/v1/destinations", body).Problem(status, code, field);
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        // The default exchange may be named explicitly (""); the routing key defaults to the event type.
        var created = await admin.PostJson("/v1/destinations", new { kind = "rabbitmq", url, exchange = "" }).Json(HttpStatusCode.Created);
        Assert.Equal("", created.GetProperty("destination").Str("exchange"));
        Assert.False(created.GetProperty("destination").TryGetProperty("routing_key", out _)); // not set: the default applies
        var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(rabbit.Server);
        await using var _c = connection;
        await channel.QueueDeclareAsync("test.ping", durable: false, exclusive: true, autoDelete: true, cancellationToken: Ct);
        var test = await admin.PostAsync($"/v1/destinations/{created.GetProperty("destination").Str("id")}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal(Outcomes.BrokerConfirmed, test.Str("status"));
        Assert.Equal("test.ping", (await NextAsync(channel, "test.ping")).BasicProperties.Type);
    }

    [Fact]
    public async Task Brokers_install_through_the_marketplace_the_connectors_api_and_the_console()
    {
        var server = rabbit.Server;
        var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var _c = connection;
        var (exchange, queue) = await TopicAsync(channel);
        var (natsConnection, js, prefix) = await NatsClientTests.StreamAsync(nats.Server);
        await using var _n = natsConnection;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();

        var listings = (await admin.GetAsync("/v2/marketplace/listings").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .ToDictionary(l => l.Str("slug"));
        Assert.Equal("Message brokers", listings["rabbitmq"].Str("category"));
        Assert.Equal("Message brokers", listings["nats"].Str("category"));
        var types = (await admin.GetAsync("/api/v1/connectors/types").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .ToDictionary(t => t.Str("type"));
        Assert.Equal(["url"], types["rabbitmq"].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["url"], types["nats"].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));
        var kinds = (await admin.GetAsync("/v1/destination-kinds").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .ToDictionary(k => k.Str("kind"));
        Assert.Equal(["amqp", "amqps"], kinds["rabbitmq"].GetProperty("url_schemes").EnumerateArray().Select(x => x.GetString()));
        Assert.True(kinds["rabbitmq"].GetProperty("url_credentials").GetBoolean());
        Assert.Equal(["exchange", "routing_key", "format", "source"], kinds["rabbitmq"].GetProperty("settings").EnumerateArray().Select(x => x.Str("name")));
        Assert.Equal(["nats", "tls"], kinds["nats"].GetProperty("url_schemes").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal("herald.{type}", kinds["nats"].GetProperty("settings")[0].Str("default"));

        var installation = await admin.PostJson("/v2/marketplace/installations",
            new { listing_slug = "rabbitmq", name = "bus", url = server.Url(), exchange, routing_key = "market.{type}" }).Json(HttpStatusCode.Created);
        Assert.Equal("rabbitmq", installation.Str("listing_slug"));
        Assert.Equal("market.{type}", installation.Str("routing_key"));
        var installTest = await admin.PostAsync($"/v2/marketplace/installations/{installation.Str("id")}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal(Outcomes.BrokerConfirmed, installTest.Str("status"));
        Assert.Equal("market.test.ping", (await NextAsync(channel, queue)).RoutingKey);

        var connector = await admin.PostJson("/api/v1/connectors",
            new { type = "nats", name = "stream", config = new { url = nats.Server.Url(), subject = prefix + ".{type}" } }).Json(HttpStatusCode.Created);
        Assert.Equal("nats", connector.Str("type"));
        var connectorTest = await admin.PostAsync($"/api/v1/connectors/{connector.Str("uuid")}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal(Outcomes.BrokerAcknowledged, connectorTest.Str("status"));

        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var marketplace = await console.PageAsync("/console");
        Assert.Contains("data-listing=\"rabbitmq\"", marketplace);
        Assert.Contains("name=\"settings[routing_key]\"", marketplace);
        Assert.Contains("data-listing=\"nats\"", marketplace);
        Assert.Contains("name=\"settings[subject]\"", marketplace);
        var installed = await console.PostFormAsync("/console", new()
        {
            ["slug"] = "rabbitmq", ["name"] = "console bus", ["url"] = server.Url(), ["settings[exchange]"] = exchange,
            ["settings[routing_key]"] = "console.{type}", ["settings[format]"] = "envelope",
        }, "/console?handler=Install");
        Assert.Equal(HttpStatusCode.SeeOther, installed.StatusCode);

        // One event reaches all three.
        var published = await admin.PublishAsync("db.insert", new { id = 3 });
        var keys = new List<string> { (await NextAsync(channel, queue)).RoutingKey, (await NextAsync(channel, queue)).RoutingKey };
        Assert.Equal(["console.db.insert", "market.db.insert"], keys.Order());
        var natsMessages = await NatsClientTests.ReadAllAsync(js, prefix.ToUpperInvariant(), 2);
        Assert.Equal(published.Str("id"), natsMessages.Last().Headers!["Nats-Msg-Id"].ToString());
    }

    [Fact]
    public async Task CloudEvents_over_both_brokers_parse_with_the_CloudEvents_sdk()
    {
        var server = rabbit.Server;
        var (connection, channel) = await RabbitMqClientTests.ConsumerAsync(server);
        await using var _c = connection;
        var (exchange, queue) = await TopicAsync(channel);
        var (natsConnection, js, prefix) = await NatsClientTests.StreamAsync(nats.Server);
        await using var _n = natsConnection;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        var project = await ProjectAsync(admin);

        await admin.CreateDestinationAsync(new { kind = "rabbitmq", url = server.Url(), exchange, format = "cloudevents-binary", source = "/billing" });
        await admin.CreateDestinationAsync(new { kind = "nats", url = nats.Server.Url(), subject = prefix + ".{type}", format = "cloudevents" });
        var occurred = DateTimeOffset.Parse("2026-11-30T08:15:30.250Z");
        var published = await admin.PublishAsync("auth.signup", new { user_id = "u_1", note = "ünïcödé ✓" }, new { occurred_at = occurred });

        // AMQP binary mode: the data as the body, the attributes as cloudEvents_* application properties.
        var got = await NextAsync(channel, queue);
        var attributes = got.BasicProperties.Headers!.Where(h => h.Key.StartsWith("cloudEvents_", StringComparison.Ordinal))
            .ToDictionary(h => h.Key["cloudEvents_".Length..], h => Encoding.UTF8.GetString((byte[])h.Value!));
        var binary = new CloudNative.CloudEvents.CloudEvent(CloudNative.CloudEvents.CloudEventsSpecVersion.FromVersionId(attributes["specversion"])!);
        foreach (var (name, value) in attributes.Where(a => a.Key != "specversion")) binary.SetAttributeFromString(name, value);
        binary.DataContentType = got.BasicProperties.ContentType;
        binary.Data = JsonDocument.Parse(got.Body.ToArray()).RootElement;
        binary.Validate();
        Assert.Equal(published.Str("id"), binary.Id);
        Assert.Equal("/billing", binary.Source!.ToString());
        Assert.Equal("auth.signup", binary.Type);
        Assert.Equal(occurred, binary.Time);
        Assert.Equal("application/json", binary.DataContentType);
        Assert.Equal("ünïcödé ✓", ((JsonElement)binary.Data!).Str("note"));
        Assert.Equal(published.Str("id"), got.BasicProperties.MessageId);

        // NATS structured mode: the whole event as application/cloudevents+json.
        var message = Assert.Single(await NatsClientTests.ReadAllAsync(js, prefix.ToUpperInvariant(), 1));
        Assert.Equal("application/cloudevents+json", message.Headers!["Content-Type"].ToString());
        Assert.Equal(published.Str("id"), message.Headers["Nats-Msg-Id"].ToString());
        var structured = new CloudNative.CloudEvents.SystemTextJson.JsonEventFormatter().DecodeStructuredModeMessage(
            message.Data!, new System.Net.Mime.ContentType("application/cloudevents+json"), null);
        Assert.Equal(published.Str("id"), structured.Id);
        Assert.Equal($"/herald/projects/{project}", structured.Source!.ToString());
        Assert.Equal("auth.signup", structured.Type);
        Assert.Equal(occurred, structured.Time);
        Assert.Equal("u_1", ((JsonElement)structured.Data!).Str("user_id"));
    }
}
