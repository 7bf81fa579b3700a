namespace Herald.Destinations;

/// <summary>A destination row. Sealed columns stay sealed here; <see cref="DestinationService"/> opens them when sending.</summary>
public sealed record DestinationRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Kind { get; init; }
    public required string Surface { get; init; }
    public required string Name { get; init; }
    public required string UrlSealed { get; init; }
    public required string UrlFingerprint { get; init; }
    public required string DestinationHost { get; init; }
    /// <summary>The surface through which the current URL was set (null when unknown); seed 002 shows its own URLs to admins.</summary>
    public string? UrlSetBy { get; init; }
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
