using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Common;
using Herald.Destinations;
using Herald.Destinations.Kinds;

namespace Herald.Surfaces.Connectors;

public sealed record ConnectorTypeResponse(string Type, string Description, IReadOnlyList<string> RequiredFields)
{
    public static ConnectorTypeResponse From(DestinationKind k) => new(k.Listing.ConnectorType, k.Listing.Description, k.Listing.ConnectorRequiredFields);
}

/// <summary>A connector's config; fields besides these are the type's settings (e.g. "format" for generic connectors).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record ConnectorConfig(string? WebhookUrl, string? Url, string? Method, Dictionary<string, string>? Headers, string? Secret)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
}

/// <summary>categories, and data: a payload filter on the event (see docs/delivery.md).</summary>
public sealed record ConnectorFilters(List<string>? Categories,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    System.Text.Json.Nodes.JsonObject? Data = null);

public sealed record CreateConnectorRequest(string? Type, string? Name, ConnectorConfig? Config, List<string>? Events, ConnectorFilters? Filters);

/// <summary>PUT and PATCH: given fields replace the stored ones; the URL stays unless config gives a new one.</summary>
public sealed record UpdateConnectorRequest(string? Type, string? Name, ConnectorConfig? Config, List<string>? Events, Optional<ConnectorFilters?> Filters,
    bool? Active);

/// <summary>
/// The connector's configuration as shown: host and fingerprint instead of the URL, header names without values, and the
/// settings that were set.
/// </summary>
public sealed record ConnectorConfigView(string DestinationHost, string SecretFingerprint, string? Method, IReadOnlyList<string>? HeaderNames, bool? Signed)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
}

public sealed record ConnectorResponse(
    string Uuid, string Id, string Object, string Type, string Name, bool Active, string Status, ConnectorConfigView Config,
    IReadOnlyList<string> Events, ConnectorFilters Filters, string? LastDeliveryStatus, DateTime? LastDeliveryAt, DateTime CreatedAt, DateTime UpdatedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? SigningSecret = null)
{
    public static ConnectorResponse From(DestinationRecord d, DestinationKind kind, IReadOnlyList<string>? headerNames = null, string? signingSecret = null,
        Herald.Controls.DestinationControls? controls = null)
    {
        var http = kind.TakesHttpOptions;
        return new(d.Id, d.Id, "connector", kind.Listing.ConnectorType, d.Name, d.Status == DestinationStatuses.Active, d.Status,
            new ConnectorConfigView(d.DestinationHost, d.UrlFingerprint, http ? d.HttpMethod : null, http ? headerNames ?? [] : null,
                kind.Signed ? d.SigningSecretSealed is not null : null) { Settings = DestinationResponse.SettingsView(d) },
            DestinationService.EventsOf(d), new ConnectorFilters(DestinationService.CategoriesOf(d)?.ToList() ?? [],
                controls?.Filter is { } filter ? System.Text.Json.Nodes.JsonNode.Parse(filter)!.AsObject() : null),
            d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt), Clock.FromMs(d.CreatedAt), Clock.FromMs(d.UpdatedAt), signingSecret);
    }
}
