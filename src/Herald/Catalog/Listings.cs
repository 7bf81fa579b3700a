using Herald.Destinations;

namespace Herald.Catalog;

/// <summary>The connector catalog: one entry per destination kind, shared by the marketplace, connectors and providers views.</summary>
public static class Listings
{
    public const string AlertingCategory = "Alerting & notifications";

    public static readonly IReadOnlyList<Listing> All =
    [
        new("slack", DestinationKinds.Slack, "Slack", "A hooks.slack.com incoming webhook",
            "Post notifications to Slack channels via Incoming Webhooks", "https://hooks.slack.com/services/T000/B000/XXXX"),
        new("discord", DestinationKinds.Discord, "Discord", "A discord.com channel webhook",
            "Send updates to Discord servers via webhooks", "https://discord.com/api/webhooks/{id}/{token}"),
        new("teams", DestinationKinds.Teams, "Microsoft Teams", "A Teams Workflows webhook (*.logic.azure.com, *.powerplatform.com)",
            "Post to Microsoft Teams channels via Adaptive Cards", "https://prod-00.westus.logic.azure.com/workflows/..."),
        new("zapier", DestinationKinds.Zapier, "Zapier", "A hooks.zapier.com catch hook",
            "Trigger automated Zapier workflows", "https://hooks.zapier.com/hooks/catch/{account}/{hook}/"),
        new("custom-webhook", DestinationKinds.Webhook, "Custom webhook", "Any HTTPS endpoint you control",
            "Send to any HTTP endpoint with custom configuration", "https://example.com/webhooks/herald"),
    ];

    public static Listing? BySlug(string? slug) => All.FirstOrDefault(l => l.Slug == slug);

    public static Listing ByKind(string kind) => All.First(l => l.Kind == kind);
}

public sealed record Listing(string Slug, string Kind, string Name, string Destination, string Description, string ExampleUrl)
{
    public string Category => Listings.AlertingCategory;
}
