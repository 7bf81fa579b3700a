using Herald.Common;
using Herald.Destinations;

namespace Herald.Surfaces.Connectors;

/// <summary>Connector types of seed 001 and the destination kind each maps to.</summary>
public static class ConnectorTypes
{
    public static readonly IReadOnlyList<(string Type, string Kind, string Description, string[] RequiredFields)> All =
    [
        ("slack", DestinationKinds.Slack, "Post notifications to Slack channels via Incoming Webhooks", ["webhook_url"]),
        ("discord", DestinationKinds.Discord, "Send updates to Discord servers via webhooks", ["webhook_url"]),
        ("teams", DestinationKinds.Teams, "Post to Microsoft Teams channels via Adaptive Cards", ["webhook_url"]),
        ("zapier", DestinationKinds.Zapier, "Trigger automated Zapier workflows", ["webhook_url"]),
        ("generic", DestinationKinds.Webhook, "Send to any HTTP endpoint with custom configuration", ["url", "method"]),
    ];

    public static string? KindOf(string? type) => All.FirstOrDefault(t => t.Type == type).Kind;

    public static string TypeOf(string kind) => All.First(t => t.Kind == kind).Type;
}

public sealed record ConnectorTypeResponse(string Type, string Description, IReadOnlyList<string> RequiredFields);

public sealed record ConnectorConfig(string? WebhookUrl, string? Url, string? Method, Dictionary<string, string>? Headers, string? Secret);

/// <summary>categories, and data: a payload filter on the event (see docs/delivery.md).</summary>
public sealed record ConnectorFilters(List<string>? Categories,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    System.Text.Json.Nodes.JsonObject? Data = null);

public sealed record CreateConnectorRequest(string? Type, string? Name, ConnectorConfig? Config, List<string>? Events, ConnectorFilters? Filters);

/// <summary>PUT and PATCH: given fields replace the stored ones; the URL stays unless config gives a new one.</summary>
public sealed record UpdateConnectorRequest(string? Type, string? Name, ConnectorConfig? Config, List<string>? Events, Optional<ConnectorFilters?> Filters,
    bool? Active);

/// <summary>The connector's configuration as shown: host and fingerprint instead of the URL, header names without values.</summary>
public sealed record ConnectorConfigView(string DestinationHost, string SecretFingerprint, string? Method, IReadOnlyList<string>? HeaderNames, bool? Signed);

public sealed record ConnectorResponse(
    string Uuid, string Id, string Object, string Type, string Name, bool Active, string Status, ConnectorConfigView Config,
    IReadOnlyList<string> Events, ConnectorFilters Filters, string? LastDeliveryStatus, DateTime? LastDeliveryAt, DateTime CreatedAt, DateTime UpdatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? SigningSecret = null)
{
    public static ConnectorResponse From(DestinationRecord d, IReadOnlyList<string>? headerNames = null, string? signingSecret = null,
        Herald.Controls.DestinationControls? controls = null)
    {
        var generic = d.Kind == DestinationKinds.Webhook;
        return new(d.Id, d.Id, "connector", ConnectorTypes.TypeOf(d.Kind), d.Name, d.Status == DestinationStatuses.Active, d.Status,
            new ConnectorConfigView(d.DestinationHost, d.UrlFingerprint, generic ? d.HttpMethod : null, generic ? headerNames ?? [] : null,
                generic ? d.SigningSecretSealed is not null : null),
            DestinationService.EventsOf(d), new ConnectorFilters(DestinationService.CategoriesOf(d)?.ToList() ?? [],
                controls?.Filter is { } filter ? System.Text.Json.Nodes.JsonNode.Parse(filter)!.AsObject() : null),
            d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt), Clock.FromMs(d.CreatedAt), Clock.FromMs(d.UpdatedAt), signingSecret);
    }
}
