using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>What every formatter renders: an event's type, a human title and body, its data, and when it happened.</summary>
public sealed record Message(string EventId, string Type, string Title, string Body, JsonObject Data, DateTimeOffset OccurredAt,
    IReadOnlyList<string> Categories)
{
    /// <summary>The W3C traceparent of the span that published the event, if any (never sent to a destination).</summary>
    public string? TraceParent { get; init; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string Surface), RenderedPayload> _rendered = new();

    /// <summary>
    /// The body for a destination kind and surface, rendered once per message however many destinations share it.
    /// (Do not derive messages with `with`: the copy would share this cache.)
    /// </summary>
    public RenderedPayload RenderFor(string kind, string surface) =>
        _rendered.GetOrAdd((kind, surface), static (k, m) => PayloadRenderer.Render(k.Kind, k.Surface, m), this);

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
