using Herald.Destinations;

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
    /// <summary>The response's headers ("Name: value" lines), when the attempt got a response (read by the console's inspector).</summary>
    public string? ResponseHeaders { get; init; }
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
    /// <summary>When the delivery (and its event) was stored: an erasure of the project stops sends of what it erased.</summary>
    public long CreatedAt { get; init; }
}

/// <summary>
/// What happened to one claimed delivery, written back in batches. A pending delivery's next try is <paramref name="RetryDelayMs"/>
/// after the store's now, or at <paramref name="DeferUntil"/> (store clock) when its destination's circuit is open; neither keeps
/// its due time. <paramref name="Attempted"/> is false when nothing was sent (the try is not counted).
/// </summary>
public sealed record DeliveryOutcome(
    ClaimedDelivery Delivery, string Outcome, int? StatusCode, long StartedAt, int DurationMs, string? ResponseBody,
    bool Attempted, string NewStatus, long? RetryDelayMs, bool DisableDestination, long? DeferUntil = null)
{
    /// <summary>Sent and answered as a success (a transport's delivered outcomes are named "delivered_…").</summary>
    public bool Succeeded => Attempted && Outcome.StartsWith(Transports.TransportOutcome.DeliveredPrefix, StringComparison.Ordinal);

    /// <summary>The try failed inside Herald (its transport said so, or Herald itself threw), not at the destination.</summary>
    public bool HeraldSide { get; init; }

    /// <summary>Why <see cref="DisableDestination"/> is set, for the notice (from the transport, e.g. "it answered 410 Gone").</summary>
    public string? DisableReason { get; init; }

    /// <summary>The response's headers, for the attempt's row (see <see cref="Net.SendResult.ResponseHeaders"/>).</summary>
    public string? ResponseHeaders { get; init; }

    /// <summary>Counts towards the destination's circuit breaker: an attempt that failed at the destination (not inside Herald).</summary>
    public bool FailedAtDestination => Attempted && !Succeeded && !HeraldSide;
}

/// <summary>A destination's circuit as the store has it: closed, open (until <paramref name="ReopensAt"/>), or half_open (one probe out).</summary>
public sealed record CircuitView(string DestinationId, string State, long? ReopensAt);

/// <summary>A circuit that opened or closed while writing outcomes, to announce to the project's other destinations.</summary>
public sealed record CircuitChange(DestinationRecord Destination, bool Opened, long? ReopensAt);

public static class CircuitStates
{
    public const string Closed = "closed";
    public const string Open = "open";
    public const string HalfOpen = "half_open";
}
