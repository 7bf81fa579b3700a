using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Destinations.Kinds.Nats;

/// <summary>
/// NATS JetStream: each delivery is published to <c>subject</c> (default <c>herald.{type}</c>; <c>{type}</c> and
/// <c>{project_id}</c> substituted) with <c>Nats-Msg-Id</c> = the event id, and counts once the stream acknowledged it; a
/// subject no stream takes is <c>unroutable</c>. The body is the custom webhook envelope, or a CloudEvent with <c>format</c>.
/// The URL (nats:// or tls://, credentials in it) is sealed like every URL.
/// </summary>
public sealed class NatsKind : DestinationKind<NatsTransport>
{
    public const string Kind = "nats";

    public static readonly KindSetting Subject = new("subject",
        "The subject to publish to; {type} (the event type) and {project_id} are substituted. Default herald.{type}.",
        Default: "herald." + BrokerTemplate.TypePlaceholder, Check: CheckSubject, MaxLength: 255);

    public override string Slug => Kind;
    public override EndpointRules Endpoint { get; } = new(["nats", "tls"], NatsClient.Schemes, AllowsCredentials: true);
    public override IReadOnlyList<KindSetting> Settings { get; } = [Subject, PayloadFormats.Format, PayloadFormats.Source];

    public override KindListing Listing { get; } = new("nats", "NATS JetStream", KindListing.BrokersCategory, "A NATS JetStream stream",
        "Publish events to a NATS JetStream stream, acknowledged and de-duplicated by event id", "tls://user:password@nats.example.com:4222",
        "{ id, source, type, title, body, data, occurred_at } with Nats-Msg-Id = the event id (or a CloudEvent)", "nats", "url", ["url"]);

    public override void CheckSettings(DestinationSettings settings, ICollection<(string Setting, string Error)> errors) =>
        PayloadFormats.Check(settings, errors);

    public override RenderedPayload Format(Message message, FormatContext context) => PayloadFormats.Render(message, context);

    private static string? CheckSubject(string template) =>
        BrokerTemplate.Problem(template)
        ?? (IsPublishSubject(BrokerTemplate.Expand(template, "t", "p")) ? null
            : "must be a NATS subject to publish to: tokens separated by '.', none empty, without spaces or the wildcards '*' and '>'.");

    /// <summary>A subject a message can be published to: non-empty tokens, no whitespace, no wildcards.</summary>
    public static bool IsPublishSubject(string subject) =>
        subject.Length > 0 && subject.Split('.').All(token => token.Length > 0 && !token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '*' or '>'));
}

/// <summary>
/// Carries a NATS destination's messages through <see cref="NatsClient"/> (pooled per destination; re-opened when the URL
/// changes): Nats-Msg-Id = the event id, Content-Type = the payload's, Herald-Event-Type, and CloudEvents binary-mode
/// attributes as <c>ce-*</c> headers (the NATS binding).
/// </summary>
public sealed class NatsTransport(CheckedConnector connector, IOptions<HeraldOptions> options, TimeProvider time, ILogger<NatsClient> logger)
    : IDestinationTransport, IAsyncDisposable
{
    public NatsClient Client { get; } = new(connector, options, time, logger);

    public async Task<TransportOutcome> SendAsync(TransportRequest request, CancellationToken ct)
    {
        var (d, m, payload, settings) = (request.Destination, request.Message, request.Payload, request.Settings);
        var subject = BrokerTemplate.Expand(settings[NatsKind.Subject.Name]!, m.Type, d.ProjectId);
        // An event type that is not a subject token (spaces, wildcards): no stream could take it, now or later.
        if (!NatsKind.IsPublishSubject(subject)) return NatsClient.Failed(Outcomes.Unroutable, TimeSpan.Zero);
        var headers = payload.CloudEventAttributes is { } attributes
            ? attributes.Select(a => new KeyValuePair<string, string>("ce-" + a.Key, a.Value)).ToList()
            : [];
        var message = new BrokerMessage(m.EventId, m.Type, m.OccurredAt, payload.Body, payload.ContentType, headers);
        return await Client.PublishAsync(d.Id, request.Opened.Url.OriginalString, subject, message, ct);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
