using System.Text.RegularExpressions;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds.Teams;

/// <summary>Microsoft Teams Workflows webhooks: an Adaptive Card in a message.</summary>
public sealed class TeamsKind : DestinationKind<HttpTransport>
{
    public const string Kind = "teams";

    public static readonly DestinationPin Pin = new([], [".logic.azure.com", ".powerplatform.com", ".webhook.office.com"],
        new Regex("^/(workflows|powerautomate|webhookb2)/.+$", RegexOptions.Compiled),
        "must be a Microsoft Teams Workflows URL on *.logic.azure.com, *.powerplatform.com or *.webhook.office.com");

    public override string Slug => Kind;
    public override string Provider => Kind;
    public override EndpointRules Endpoint { get; } = EndpointRules.Pinned(Pin);

    public override KindListing Listing { get; } = new("teams", "Microsoft Teams", KindListing.AlertingCategory,
        "A Teams Workflows webhook (*.logic.azure.com, *.powerplatform.com)", "Post to Microsoft Teams channels via Adaptive Cards",
        "https://prod-00.westus.logic.azure.com/workflows/...", "Adaptive Card in a Workflows message", "teams", "webhook_url", ["webhook_url"]);

    public override RenderedPayload Format(Message message, FormatContext context) => RenderedPayload.Json(TeamsFormat.Render(message));
}
