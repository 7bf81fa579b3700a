using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;

namespace Herald.Surfaces.Integrations;

public sealed record RegisterWebhookRequest(string? Url, List<string>? Events, string? Secret);

public sealed record UpdateWebhookRequest(string? Url, List<string>? Events, bool? Active);

/// <summary>A webhook as seed 002 shows it: id, url, events, active (and the generated secret, once).</summary>
public sealed record WebhookResponse(
    string Id, string Url, IReadOnlyList<string> Events, bool Active,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Secret = null)
{
    /// <summary>
    /// The URL is shown to its owner, as the seed does, for webhooks registered through this API; destinations installed
    /// elsewhere (e.g. the marketplace, which promises never to show it) appear with their host only.
    /// </summary>
    public static WebhookResponse From(DestinationRecord d, DestinationService destinations, string? secret = null) => new(
        d.Id,
        d.Surface == IntegrationsApi.WebhookSurface ? destinations.OpenUrl(d) : $"https://{d.DestinationHost}/… (sealed)",
        DestinationService.EventsOf(d), d.Status == DestinationStatuses.Active, secret);
}

public sealed record WebhookDeliveryResponse(
    string Id, string DeliveryId, string EventId, string EventType, int AttemptNumber, int? StatusCode, int ResponseTimeMs, string Outcome,
    bool Success, DateTime CreatedAt)
{
    public static WebhookDeliveryResponse From(AttemptRecord a) => new($"{a.DeliveryId}:{a.Number}", a.DeliveryId, a.EventId ?? "", a.EventType ?? "",
        a.Number, a.StatusCode, a.DurationMs, a.Outcome, a.Outcome.StartsWith("delivered_", StringComparison.Ordinal), Clock.FromMs(a.StartedAt));
}

public sealed record WebhookTestResponse(bool Ok, string Status, string Event);

public sealed record SubscribableEvent(string Name, string Description);

public sealed record ConfigureProviderRequest(string? WebhookUrl, string? Name, List<string>? Events, ProviderFilters? Filters);

public sealed record ProviderFilters(List<string>? Categories);

public sealed record ToggleProviderRequest(bool? Enabled);

public sealed record ProviderResponse(
    string Provider, string Object, string Name, string Category, bool Configured, bool Enabled, string? DestinationHost, string? SecretFingerprint,
    IReadOnlyList<string>? Events, string? LastDeliveryStatus, DateTime? LastDeliveryAt);
