using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>What every formatter renders: an event's type, a human title and body, its data, and when it happened.</summary>
public sealed record Message(string EventId, string Type, string Title, string Body, JsonObject Data, DateTimeOffset OccurredAt,
    IReadOnlyList<string> Categories)
{
    public static Message TestPing(DateTimeOffset now, string projectId) => new(
        "evt_test_" + Common.Ids.RandomBase32(16),
        "test.ping",
        "Test notification from Herald",
        "If you can read this, the connector works.",
        new JsonObject { ["project_id"] = projectId, ["test"] = true },
        now,
        []);
}

/// <summary>A rendered request body for one destination kind.</summary>
public sealed record RenderedPayload(byte[] Body, string ContentType);
