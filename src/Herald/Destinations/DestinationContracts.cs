using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Herald.Common;

namespace Herald.Destinations;

/// <summary>A new destination; fields besides these are the kind's settings (e.g. "format" for webhooks), checked by the kind.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record CreateDestinationRequest(
    string? Kind, string? Name, string? Url, string? Method, Dictionary<string, string>? Headers,
    List<string>? Events, List<string>? Categories, string? Secret,
    JsonObject? Filter = null, string? RetrySchedule = null, JsonElement? Timeout = null, Controls.RateLimitInput? RateLimit = null, string? Ordering = null,
    string? Template = null)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
}

/// <summary>A change; fields besides these are the kind's settings (null returns one to its default).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record UpdateDestinationRequest(
    string? Name, string? Status, string? Url, string? Method, Optional<Dictionary<string, string>?> Headers,
    List<string>? Events, Optional<List<string>?> Categories,
    Optional<JsonObject?> Filter, Optional<string?> RetrySchedule, Optional<JsonElement?> Timeout, Optional<Controls.RateLimitInput?> RateLimit, Optional<string?> Ordering,
    Optional<string?> Template)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
}

/// <summary>
/// A destination as Herald's own API shows it: host and fingerprint, never the URL, headers or secret; the kind's settings
/// that were set appear beside the other fields, as they were sent.
/// </summary>
public sealed record DestinationResponse(
    string Id, string Object, string Kind, string Name, string Status, string DestinationHost, string SecretFingerprint,
    string Method, IReadOnlyList<string> Events, IReadOnlyList<string>? Categories, bool HasCustomHeaders, bool Signed,
    string? LastDeliveryStatus, DateTime? LastDeliveryAt, DateTime CreatedAt, DateTime UpdatedAt, string Circuit, DateTime? CircuitReopensAt)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }

    public static DestinationResponse From(DestinationRecord d) => new(
        d.Id, "destination", d.Kind, d.Name, d.Status, d.DestinationHost, d.UrlFingerprint, d.HttpMethod,
        DestinationService.EventsOf(d), DestinationService.CategoriesOf(d), d.HeadersSealed is not null, d.SigningSecretSealed is not null,
        d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt), Clock.FromMs(d.CreatedAt), Clock.FromMs(d.UpdatedAt),
        d.CircuitState, d.CircuitState == "closed" ? null : Clock.FromMs(d.CircuitReopensAt))
    {
        Settings = SettingsView(d),
    };

    /// <summary>The settings that were set, as JSON values to show beside a view's fields (null when none).</summary>
    public static Dictionary<string, JsonElement>? SettingsView(DestinationRecord d) => d.Settings is null
        ? null
        : JsonSerializer.Deserialize<Dictionary<string, string>>(d.Settings)!.ToDictionary(s => s.Key, s => JsonSerializer.SerializeToElement(s.Value));

    /// <summary>The destination with its delivery controls (filter, retry_schedule, timeout, rate_limit, ordering; see Controls/) shown as top-level fields beside its settings.</summary>
    public DestinationResponse WithControls(IDictionary<string, object?>? controls) =>
        controls is null ? this : this with { Settings = WithFields(Settings, controls) };

    /// <summary>Extra top-level fields added to a view's extension data.</summary>
    public static Dictionary<string, JsonElement>? WithFields(Dictionary<string, JsonElement>? fields, IDictionary<string, object?> extra)
    {
        var all = fields is null ? new Dictionary<string, JsonElement>() : new Dictionary<string, JsonElement>(fields);
        foreach (var (name, value) in extra) all[name] = JsonSerializer.SerializeToElement(value);
        return all.Count == 0 ? null : all;
    }
}

/// <summary>Returned once, when a destination is created (with its generated signing secret, and warnings about a chosen one).</summary>
public sealed record CreatedDestinationResponse(
    DestinationResponse Destination, string? SigningSecret,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? Warnings = null);

/// <summary>A registered destination kind as <c>GET /v1/destination-kinds</c> shows it: what <c>kind</c> to send, and which settings.</summary>
public sealed record DestinationKindResponse(
    string Object, string Kind, string Name, string Category, string Description, string ListingSlug, string ConnectorType,
    IReadOnlyList<string> UrlSchemes, bool UrlCredentials, bool TakesHttpOptions, bool Signed, string? Provider,
    IReadOnlyList<DestinationKindSettingResponse> Settings)
{
    public static DestinationKindResponse From(Kinds.DestinationKind k) => new("destination_kind", k.Slug, k.Listing.Name, k.Listing.Category,
        k.Listing.Description, k.Listing.Slug, k.Listing.ConnectorType, k.Endpoint.Schemes, k.Endpoint.AllowsCredentials, k.TakesHttpOptions,
        k.Signed, k.Provider, k.Settings.Select(s => new DestinationKindSettingResponse(s.Name, s.Description, s.Default, s.Choices)).ToList());
}

public sealed record DestinationKindSettingResponse(string Name, string Description, string? Default, IReadOnlyList<string>? Choices);
