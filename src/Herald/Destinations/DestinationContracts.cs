using System.Text.Json.Nodes;
using Herald.Common;

namespace Herald.Destinations;

public sealed record CreateDestinationRequest(
    string? Kind, string? Name, string? Url, string? Method, Dictionary<string, string>? Headers,
    List<string>? Events, List<string>? Categories, string? Secret,
    JsonObject? Filter = null, string? RetrySchedule = null, System.Text.Json.JsonElement? Timeout = null, Controls.RateLimitInput? RateLimit = null, string? Ordering = null);

public sealed record UpdateDestinationRequest(
    string? Name, string? Status, string? Url, string? Method, Optional<Dictionary<string, string>?> Headers,
    List<string>? Events, Optional<List<string>?> Categories,
    Optional<JsonObject?> Filter, Optional<string?> RetrySchedule, Optional<System.Text.Json.JsonElement?> Timeout, Optional<Controls.RateLimitInput?> RateLimit, Optional<string?> Ordering);

/// <summary>A destination as Herald's own API shows it: host and fingerprint, never the URL, headers or secret.</summary>
public sealed record DestinationResponse(
    string Id, string Object, string Kind, string Name, string Status, string DestinationHost, string SecretFingerprint,
    string Method, IReadOnlyList<string> Events, IReadOnlyList<string>? Categories, bool HasCustomHeaders, bool Signed,
    string? LastDeliveryStatus, DateTime? LastDeliveryAt, DateTime CreatedAt, DateTime UpdatedAt, string Circuit, DateTime? CircuitReopensAt)
{
    public static DestinationResponse From(DestinationRecord d) => new(
        d.Id, "destination", d.Kind, d.Name, d.Status, d.DestinationHost, d.UrlFingerprint, d.HttpMethod,
        DestinationService.EventsOf(d), DestinationService.CategoriesOf(d), d.HeadersSealed is not null, d.SigningSecretSealed is not null,
        d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt), Clock.FromMs(d.CreatedAt), Clock.FromMs(d.UpdatedAt),
        d.CircuitState, d.CircuitState == "closed" ? null : Clock.FromMs(d.CircuitReopensAt));

    /// <summary>The destination's delivery controls (filter, retry_schedule, timeout, rate_limit, ordering), shown as top-level fields when set; see Controls/.</summary>
    [System.Text.Json.Serialization.JsonExtensionData]
    public IDictionary<string, object?>? Controls { get; init; }
}

/// <summary>Returned once, when a destination is created (with its generated signing secret, and warnings about a chosen one).</summary>
public sealed record CreatedDestinationResponse(
    DestinationResponse Destination, string? SigningSecret,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? Warnings = null);
