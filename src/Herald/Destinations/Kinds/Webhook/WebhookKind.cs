using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds.Webhook;

/// <summary>
/// Custom webhooks: any public https endpoint, a chosen method and custom headers, signed (Standard Webhooks headers and
/// X-Herald-Signature); the payload is Herald's envelope or, with <c>format</c>, a CloudEvent (structured or binary mode).
/// </summary>
public sealed class WebhookKind : DestinationKind<HttpTransport>
{
    public const string Kind = "webhook";

    public override string Slug => Kind;
    public override EndpointRules Endpoint => EndpointRules.AnyHttps;
    public override bool TakesHttpOptions => true;
    public override bool Signed => true;
    public override IReadOnlyList<KindSetting> Settings { get; } = [PayloadFormats.Format, PayloadFormats.Source];

    public override KindListing Listing { get; } = new("custom-webhook", "Custom webhook", KindListing.AlertingCategory,
        "Any HTTPS endpoint you control", "Send to any HTTP endpoint with custom configuration", "https://example.com/webhooks/herald",
        "{ source, type, title, body, data } signed with Standard Webhooks headers", "generic", "url", ["url", "method"]);

    public override void CheckSettings(DestinationSettings settings, ICollection<(string Setting, string Error)> errors) =>
        PayloadFormats.Check(settings, errors);

    public override RenderedPayload Format(Message message, FormatContext context) => PayloadFormats.Render(message, context);
}
