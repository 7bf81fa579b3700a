using System.Text;
using System.Text.RegularExpressions;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Destinations.Kinds.RabbitMq;

/// <summary>
/// RabbitMQ (AMQP 0-9-1): each delivery is one persistent message published to <c>exchange</c> (default: the default
/// exchange, "") with <c>routing_key</c> (default: the event type; <c>{type}</c> and <c>{project_id}</c> substituted), with
/// publisher confirms and <c>mandatory</c>. The body is the custom webhook envelope, or a CloudEvent with <c>format</c>.
/// The URL (amqp:// or amqps://, credentials and virtual host in it) is sealed like every URL.
/// </summary>
public sealed partial class RabbitMqKind : DestinationKind<RabbitMqTransport>
{
    public const string Kind = "rabbitmq";

    public static readonly KindSetting Exchange = new("exchange",
        "The exchange to publish to; default \"\" (the default exchange, which routes by queue name).", Default: "", AllowEmpty: true,
        Check: value => ExchangeName().IsMatch(value) ? null : "must be an exchange name: letters, digits, '-', '_', '.' and ':'.", MaxLength: 255);

    public static readonly KindSetting RoutingKey = new("routing_key",
        "The routing key; {type} (the event type) and {project_id} are substituted. Default {type}.", Default: BrokerTemplate.TypePlaceholder,
        Check: BrokerTemplate.Problem, MaxLength: 255);

    public override string Slug => Kind;
    public override EndpointRules Endpoint { get; } = new(["amqp", "amqps"], RabbitMqClient.Schemes, AllowsCredentials: true);
    public override IReadOnlyList<KindSetting> Settings { get; } = [Exchange, RoutingKey, PayloadFormats.Format, PayloadFormats.Source];

    public override KindListing Listing { get; } = new("rabbitmq", "RabbitMQ", KindListing.BrokersCategory, "A RabbitMQ exchange (AMQP 0-9-1)",
        "Publish events to a RabbitMQ exchange as persistent messages the broker confirms",
        "amqps://user:password@rabbitmq.example.com:5671/vhost",
        "{ id, source, type, title, body, data, occurred_at } as a persistent AMQP message (or a CloudEvent)", "rabbitmq", "url", ["url"]);

    public override void CheckSettings(DestinationSettings settings, ICollection<(string Setting, string Error)> errors) =>
        PayloadFormats.Check(settings, errors);

    public override RenderedPayload Format(Message message, FormatContext context) => PayloadFormats.Render(message, context);

    [GeneratedRegex("^[A-Za-z0-9_.:-]*$")]
    private static partial Regex ExchangeName();
}

/// <summary>
/// Carries a RabbitMQ destination's messages through <see cref="RabbitMqClient"/> (pooled per destination; re-opened when the
/// URL changes): message_id = the event id, type = the event type, content_type = the payload's, timestamp = when the event
/// occurred, and CloudEvents binary-mode attributes as <c>cloudEvents_*</c> headers (the AMQP binding's application properties).
/// </summary>
public sealed class RabbitMqTransport(CheckedConnector connector, IOptions<HeraldOptions> options, TimeProvider time, ILogger<RabbitMqClient> logger)
    : IDestinationTransport, IAsyncDisposable
{
    /// <summary>AMQP 0-9-1 short strings (routing keys) hold at most 255 bytes.</summary>
    public const int MaxRoutingKeyBytes = 255;

    public RabbitMqClient Client { get; } = new(connector, options, time, logger);

    public async Task<TransportOutcome> SendAsync(TransportRequest request, CancellationToken ct)
    {
        var (d, m, payload, settings) = (request.Destination, request.Message, request.Payload, request.Settings);
        var routingKey = BrokerTemplate.Expand(settings[RabbitMqKind.RoutingKey.Name]!, m.Type, d.ProjectId);
        // An event type long enough to overflow the key: no broker could route it, now or later.
        if (Encoding.UTF8.GetByteCount(routingKey) > MaxRoutingKeyBytes) return RabbitMqClient.Unroutable(TimeSpan.Zero);
        var headers = payload.CloudEventAttributes is { } attributes
            ? attributes.Select(a => new KeyValuePair<string, string>("cloudEvents_" + a.Key, a.Value)).ToList()
            : [];
        var message = new BrokerMessage(m.EventId, m.Type, m.OccurredAt, payload.Body, payload.ContentType, headers);
        return await Client.PublishAsync(d.Id, request.Opened.Url.OriginalString, settings[RabbitMqKind.Exchange.Name] ?? "", routingKey, message, ct);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
