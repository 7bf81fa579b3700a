using Herald.Auth;
using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;

namespace Herald.Surfaces.Integrations;

/// <summary>filter: a payload filter on the event (see docs/delivery.md), beside the seed's fields.</summary>
public sealed record RegisterWebhookRequest(string? Url, List<string>? Events, string? Secret, System.Text.Json.Nodes.JsonObject? Filter = null);

public sealed record UpdateWebhookRequest(string? Url, List<string>? Events, bool? Active, Optional<System.Text.Json.Nodes.JsonObject?> Filter);

/// <summary>
/// A webhook as seed 002 shows it: id, url, events, active, plus destination_host and secret_fingerprint (and the generated
/// secret once, and warnings about a chosen secret when there are any).
/// </summary>
public sealed record WebhookResponse(
    string Id, string? Url, IReadOnlyList<string> Events, bool Active, string DestinationHost, string SecretFingerprint,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Secret = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? Warnings = null)
{
    /// <summary>
    /// The URL is shown, as the seed does, only to admin keys and only when it was set through these routes; members, and every
    /// destination whose URL came from elsewhere (the marketplace, /v1/destinations, the connectors API, which promise never to show
    /// it), get <c>url: null</c> and the host and fingerprint.
    /// </summary>
    public static WebhookResponse From(DestinationRecord d, DestinationService destinations, Caller caller, string? secret = null,
        IReadOnlyList<string>? warnings = null) => new(
        d.Id,
        caller.IsAdmin && d.UrlVisibleToOwner ? destinations.OpenUrl(d) : null,
        DestinationService.EventsOf(d), d.Status == DestinationStatuses.Active, d.DestinationHost, d.UrlFingerprint, secret,
        warnings is { Count: > 0 } ? warnings : null);
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

public sealed record ConfigureProviderRequest(string? WebhookUrl, string? Name, List<string>? Events, ProviderFilters? Filters, string? WebhookSecret = null);

public sealed record ProviderFilters(List<string>? Categories, System.Text.Json.Nodes.JsonObject? Data = null);

public sealed record ToggleProviderRequest(bool? Enabled);

public sealed record ProviderResponse(
    string Provider, string Object, string Name, string Category, bool Configured, bool Enabled, string? DestinationHost, string? SecretFingerprint,
    IReadOnlyList<string>? Events, string? LastDeliveryStatus, DateTime? LastDeliveryAt)
{
    /// <summary>Providers that send events to Herald (Razorpay, ...): "inbound", their source's id and the URL to give the provider.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Direction { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? SourceId { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? InboundUrl { get; init; }
}
