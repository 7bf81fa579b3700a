using System.Text.RegularExpressions;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds.Zapier;

/// <summary>Zapier catch hooks: one flat JSON object, so every value is a Zap field.</summary>
public sealed class ZapierKind : DestinationKind<HttpTransport>
{
    public const string Kind = "zapier";

    public static readonly DestinationPin Pin = new(["hooks.zapier.com"], [],
        new Regex(@"^/hooks/catch/\d+/[A-Za-z0-9]+/?$", RegexOptions.Compiled),
        "must be a Zapier catch-hook URL: https://hooks.zapier.com/hooks/catch/{account}/{hook}/");

    public override string Slug => Kind;
    public override string Provider => Kind;
    public override EndpointRules Endpoint { get; } = EndpointRules.Pinned(Pin);

    public override KindListing Listing { get; } = new("zapier", "Zapier", KindListing.AlertingCategory, "A hooks.zapier.com catch hook",
        "Trigger automated Zapier workflows", "https://hooks.zapier.com/hooks/catch/{account}/{hook}/", "flattened JSON", "zapier",
        "webhook_url", ["webhook_url"]);

    public override RenderedPayload Format(Message message, FormatContext context) => RenderedPayload.Json(ZapierFormat.Render(message));
}
