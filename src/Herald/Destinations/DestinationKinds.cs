using Herald.Net;

namespace Herald.Destinations;

/// <summary>The kinds of destination Herald delivers to, and the URL pin of each managed one (custom webhooks have none).</summary>
public static class DestinationKinds
{
    public const string Slack = "slack";
    public const string Discord = "discord";
    public const string Teams = "teams";
    public const string Zapier = "zapier";
    public const string Webhook = "webhook";

    public static readonly string[] All = [Slack, Discord, Teams, Zapier, Webhook];

    public static DestinationPin? PinOf(string kind) => kind switch
    {
        Slack => DestinationPin.Slack,
        Discord => DestinationPin.Discord,
        Teams => DestinationPin.Teams,
        Zapier => DestinationPin.Zapier,
        _ => null,
    };
}

public static class DestinationStatuses
{
    public const string Active = "active";
    public const string Disabled = "disabled";
    public const string AutoDisabled = "auto_disabled";
}
