using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>What every formatter renders: an event's type, a human title and body, its data, and when it happened.</summary>
public sealed record Message(string EventId, string Type, string Title, string Body, JsonObject Data, DateTimeOffset OccurredAt,
    IReadOnlyList<string> Categories)
{
    /// <summary>The W3C traceparent of the span that published the event, if any (never sent to a destination).</summary>
    public string? TraceParent { get; init; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kind, string Style, string? Settings, string ProjectId), RenderedPayload> _rendered = new();

    /// <summary>
    /// The payload for one destination, rendered by its kind once per message however many destinations share the kind,
    /// payload style and settings. (Do not derive messages with `with`: the copy would share this cache.)
    /// </summary>
    public RenderedPayload RenderFor(Destinations.Kinds.DestinationKind kind, Destinations.DestinationRecord d) =>
        _rendered.GetOrAdd((kind.Slug, d.PayloadStyle, d.Settings, d.ProjectId), static (key, state) =>
            state.Kind.Format(state.Message, new Destinations.Kinds.FormatContext(key.Style, state.Kind.SettingsOf(state.Destination), key.ProjectId)),
            (Message: this, Kind: kind, Destination: d));

    public static Message TestPing(DateTimeOffset now, string projectId) => new(
        "evt_test_" + Common.Ids.RandomBase32(16),
        "test.ping",
        "Test notification from Herald",
        "If you can read this, the connector works.",
        new JsonObject { ["project_id"] = projectId, ["test"] = true },
        now,
        []);
}

/// <summary>A rendered payload for one destination kind: the body and its content type.</summary>
public sealed record RenderedPayload(byte[] Body, string ContentType)
{
    /// <summary>
    /// Binary-mode CloudEvents: the event's attributes (name without prefix → canonical string value; datacontenttype is
    /// <see cref="ContentType"/>) for the transport to carry beside the body: HTTP ce-* headers, AMQP cloudEvents_*
    /// application properties, NATS ce-* headers. Null for every other format.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>>? CloudEventAttributes { get; init; }

    public static RenderedPayload Json(System.Text.Json.Nodes.JsonNode body) =>
        new(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(body), "application/json");
}
