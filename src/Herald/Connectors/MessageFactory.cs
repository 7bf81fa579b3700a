using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Events;

namespace Herald.Connectors;

/// <summary>Turns a stored event into the message formatters render; a missing title or body is made from the type and data.</summary>
public static class MessageFactory
{
    public static Message From(EventRecord e)
    {
        var data = JsonNode.Parse(e.Data) as JsonObject ?? new JsonObject();
        var categories = e.Categories is null ? [] : JsonSerializer.Deserialize<string[]>(e.Categories)!;
        return new Message(e.Id, e.Type, e.Title ?? DefaultTitle(e.Type), e.Body ?? DefaultBody(data), data,
            DateTimeOffset.FromUnixTimeMilliseconds(e.OccurredAt), categories) { TraceParent = e.TraceParent };
    }

    public static string DefaultTitle(string type) => $"Event: {type}";

    /// <summary>"key: value" for the first few top-level scalar fields.</summary>
    public static string DefaultBody(JsonObject data)
    {
        var parts = data
            .Where(p => p.Value is JsonValue)
            .Take(8)
            .Select(p => $"{p.Key}: {p.Value!.ToJsonString().Trim('"')}");
        var body = string.Join(", ", parts);
        return body.Length == 0 ? "(no details)" : TextLimits.Truncate(body, 1000);
    }
}
