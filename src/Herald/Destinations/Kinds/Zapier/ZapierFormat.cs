using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Zapier catch hooks: one flat JSON object ("data.project_id" → "data__project_id") so every value is a Zap field.</summary>
public static class ZapierFormat
{
    public static JsonObject Render(Message m)
    {
        var flat = new JsonObject
        {
            ["id"] = m.EventId,
            ["type"] = m.Type,
            ["title"] = m.Title,
            ["body"] = m.Body,
            ["occurred_at"] = m.OccurredAt.UtcDateTime.ToString("O"),
        };
        Flatten("data", m.Data, flat);
        return flat;
    }

    private static void Flatten(string prefix, JsonNode? node, JsonObject into)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj) Flatten($"{prefix}__{key}", value, into);
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++) Flatten($"{prefix}__{i}", array[i], into);
                break;
            default:
                into[prefix] = node?.DeepClone();
                break;
        }
    }
}
