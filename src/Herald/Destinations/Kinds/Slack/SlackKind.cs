using System.Text.RegularExpressions;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds.Slack;

/// <summary>Slack incoming webhooks: plain text for marketplace installs (simple style), Block Kit otherwise.</summary>
public sealed class SlackKind : DestinationKind<HttpTransport>
{
    public const string Kind = "slack";

    public static readonly DestinationPin Pin = new(["hooks.slack.com"], [],
        new Regex("^/(services|triggers|workflows)/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+){1,3}$", RegexOptions.Compiled),
        "must be a Slack incoming-webhook URL: https://hooks.slack.com/services/...");

    public override string Slug => Kind;
    public override string Provider => Kind;
    public override EndpointRules Endpoint { get; } = EndpointRules.Pinned(Pin);

    public override KindListing Listing { get; } = new("slack", "Slack", KindListing.AlertingCategory, "A hooks.slack.com incoming webhook",
        "Post notifications to Slack channels via Incoming Webhooks", "https://hooks.slack.com/services/T000/B000/XXXX",
        "{ \"text\": \"...\" }", "slack", "webhook_url", ["webhook_url"]);

    public override RenderedPayload Format(Message message, FormatContext context) =>
        RenderedPayload.Json(context.PayloadStyle == PayloadStyles.Simple ? SlackFormat.Render(message) : SlackFormat.RenderRich(message));
}
