using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Delivery;

namespace Herald.Events;

public sealed record EventResponse(
    string Id, string Object, string Type, string? Title, string? Body, JsonNode? Data, IReadOnlyList<string> Categories,
    DateTime OccurredAt, DateTime CreatedAt, int Deliveries,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<DeliveryResponse>? DeliveryList = null)
{
    public static EventResponse From(EventRecord e, IReadOnlyList<DeliveryResponse>? deliveries = null) => new(
        e.Id, "event", e.Type, e.Title, e.Body, JsonNode.Parse(e.Data),
        e.Categories is null ? [] : JsonSerializer.Deserialize<string[]>(e.Categories)!,
        Clock.FromMs(e.OccurredAt), Clock.FromMs(e.CreatedAt), e.Deliveries, deliveries);
}

public sealed record DeliveryResponse(
    string Id, string Object, string EventId, string EventType, string DestinationId, string Status, int Attempts,
    string? LastOutcome, int? LastStatusCode, DateTime? NextAttemptAt, DateTime CreatedAt, DateTime? CompletedAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<AttemptResponse>? AttemptList = null)
{
    public static DeliveryResponse From(DeliveryRecord d, IReadOnlyList<AttemptResponse>? attempts = null) => new(
        d.Id, "delivery", d.EventId, d.EventType ?? "", d.DestinationId, d.Status, d.Attempts, d.LastOutcome, d.LastStatusCode,
        d.Status == DeliveryStatuses.Pending ? Clock.FromMs(d.NextAttemptAt) : null, Clock.FromMs(d.CreatedAt), Clock.FromMs(d.CompletedAt),
        attempts);
}

public sealed record AttemptResponse(
    string Object, string DeliveryId, int AttemptNumber, DateTime StartedAt, int DurationMs, int? StatusCode, string Outcome, string? ResponseBody)
{
    public static AttemptResponse From(AttemptRecord a) =>
        new("attempt", a.DeliveryId, a.Number, Clock.FromMs(a.StartedAt), a.DurationMs, a.StatusCode, a.Outcome, a.ResponseBody);
}

public sealed record EventTypeResponse(string Name, string Object, string Description, bool Builtin, JsonNode? Schema)
{
    public static EventTypeResponse From(EventType t) =>
        new(t.Name, "event_type", t.Description, t.IsBuiltin, t.Schema is null ? null : JsonNode.Parse(t.Schema));
}

public sealed record CreateEventTypeRequest(string? Name, string? Description, JsonObject? Schema);

public sealed record UpdateEventTypeRequest(string? Description, Optional<JsonObject?> Schema);
