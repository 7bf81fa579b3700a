using System.Text.RegularExpressions;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds.Discord;

/// <summary>Discord channel webhooks: plain content for marketplace installs (simple style), an embed otherwise.</summary>
public sealed class DiscordKind : DestinationKind<HttpTransport>
{
    public const string Kind = "discord";

    public static readonly DestinationPin Pin = new(["discord.com", "discordapp.com", "canary.discord.com", "ptb.discord.com"], [],
        new Regex(@"^/api/(v\d+/)?webhooks/\d+/[A-Za-z0-9_-]+/?$", RegexOptions.Compiled),
        "must be a Discord webhook URL: https://discord.com/api/webhooks/{id}/{token}");

    public override string Slug => Kind;
    public override string Provider => Kind;
    public override EndpointRules Endpoint { get; } = EndpointRules.Pinned(Pin);

    public override KindListing Listing { get; } = new("discord", "Discord", KindListing.AlertingCategory, "A discord.com channel webhook",
        "Send updates to Discord servers via webhooks", "https://discord.com/api/webhooks/{id}/{token}",
        "{ \"content\": \"...\", \"allowed_mentions\": { \"parse\": [] } }", "discord", "webhook_url", ["webhook_url"]);

    public override RenderedPayload Format(Message message, FormatContext context) =>
        RenderedPayload.Json(context.PayloadStyle == PayloadStyles.Simple ? DiscordFormat.Render(message) : DiscordFormat.RenderRich(message));
}
