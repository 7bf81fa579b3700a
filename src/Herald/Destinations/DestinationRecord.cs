namespace Herald.Destinations;

/// <summary>A destination row. Sealed columns stay sealed here; <see cref="DestinationService"/> opens them when sending.</summary>
public sealed record DestinationRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Kind { get; init; }
    /// <summary>How much a chat platform's message shows: simple (seed 000's plain formats) or rich; see <see cref="Kinds.PayloadStyles"/>.</summary>
    public string PayloadStyle { get; init; } = Kinds.PayloadStyles.Rich;
    public required string Name { get; init; }
    public required string UrlSealed { get; init; }
    public required string UrlFingerprint { get; init; }
    public required string DestinationHost { get; init; }
    /// <summary>
    /// Whether admins may see the URL again: true when the current URL was set through seed 002's webhook routes, which show
    /// the URLs registered through them; every other route promises never to show a URL.
    /// </summary>
    public bool UrlVisibleToOwner { get; init; }
    /// <summary>The seed 002 provider this destination is configured as (one per provider per project), or null.</summary>
    public string? ProviderSlot { get; init; }
    /// <summary>The kind's settings as a JSON object of strings (e.g. {"format":"cloudevents"}), or null; not secret.</summary>
    public string? Settings { get; init; }
    public string HttpMethod { get; init; } = "POST";
    public string? HeadersSealed { get; init; }
    public string? SigningSecretSealed { get; init; }
    public string? PreviousSecretSealed { get; init; }
    public long? PreviousSecretExpiresAt { get; init; }
    public required string EventTypes { get; init; }
    public string? Categories { get; init; }
    public required string Status { get; init; }
    public string? LastDeliveryStatus { get; init; }
    public long? LastDeliveryAt { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? FailingSince { get; init; }
    /// <summary>closed, open or half_open: see the delivery worker's circuit breaker.</summary>
    public string CircuitState { get; init; } = "closed";
    /// <summary>When an open circuit lets one probe through (store clock, ms); a half-open circuit's probe deadline.</summary>
    public long? CircuitReopensAt { get; init; }
    /// <summary>Openings since the last success (the cool-down doubles with each).</summary>
    public int CircuitOpens { get; init; }
}
