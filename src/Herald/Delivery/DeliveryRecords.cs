namespace Herald.Delivery;

public static class DeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

public sealed record DeliveryRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string EventId { get; init; }
    public required string DestinationId { get; init; }
    public required string Status { get; init; }
    public int Attempts { get; init; }
    public long NextAttemptAt { get; init; }
    public string? LastOutcome { get; init; }
    public int? LastStatusCode { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? CompletedAt { get; init; }
    public string? EventType { get; init; }
}

public sealed record AttemptRecord
{
    public required string DeliveryId { get; init; }
    public int Number { get; init; }
    public required string ProjectId { get; init; }
    public required string DestinationId { get; init; }
    public long StartedAt { get; init; }
    public int DurationMs { get; init; }
    public int? StatusCode { get; init; }
    public required string Outcome { get; init; }
    public string? ResponseBody { get; init; }
    public string? EventId { get; init; }
    public string? EventType { get; init; }
}

/// <summary>A delivery claimed by this node, with what sending it needs.</summary>
public sealed record ClaimedDelivery
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string EventId { get; init; }
    public required string DestinationId { get; init; }
    public int Attempts { get; init; }
}

/// <summary>What happened to one claimed delivery, written back in batches.</summary>
public sealed record DeliveryOutcome(
    ClaimedDelivery Delivery, string Outcome, int? StatusCode, long StartedAt, int DurationMs, string? ResponseBody,
    bool Attempted, string NewStatus, long? NextAttemptAt, bool DisableDestination);
