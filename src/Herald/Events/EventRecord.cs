namespace Herald.Events;

public sealed record EventRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Type { get; init; }
    public string? Title { get; init; }
    public string? Body { get; init; }
    public required string Data { get; init; }
    public string? Categories { get; init; }
    public long OccurredAt { get; init; }
    public long CreatedAt { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? RequestHash { get; init; }
    public int Deliveries { get; init; }
    /// <summary>The W3C traceparent of the publish span, when traces are on: delivery attempt spans link to it.</summary>
    public string? TraceParent { get; init; }
    /// <summary>Not stored: a destination this event is not fanned out to (Herald's notice about that destination itself).</summary>
    public string? ExcludeDestinationId { get; init; }
}
