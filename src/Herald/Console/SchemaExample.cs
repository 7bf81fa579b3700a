using System.Text.Json.Nodes;

namespace Herald.WebConsole;

/// <summary>
/// An example JSON value for a JSON Schema, for the event catalog's example payloads: a schema's own examples/default/const/enum
/// first, otherwise a value of its type (objects with every listed property, arrays with one item), to a bounded depth.
/// </summary>
public static class SchemaExample
{
    private const int MaxDepth = 6;

    public static JsonNode? From(string? schemaJson)
    {
        if (schemaJson is null) return new JsonObject();
        try
        {
            return Make(JsonNode.Parse(schemaJson), 0) ?? new JsonObject();
        }
        catch (System.Text.Json.JsonException)
        {
            return new JsonObject();
        }
    }

    private static JsonNode? Make(JsonNode? schema, int depth)
    {
        if (schema is not JsonObject s || depth > MaxDepth) return null;
        if (s["examples"] is JsonArray { Count: > 0 } examples) return examples[0]?.DeepClone();
        if (s.TryGetPropertyValue("default", out var fallback)) return fallback?.DeepClone();
        if (s.TryGetPropertyValue("const", out var constant)) return constant?.DeepClone();
        if (s["enum"] is JsonArray { Count: > 0 } values) return values[0]?.DeepClone();
        foreach (var key in new[] { "oneOf", "anyOf", "allOf" })
            if (s[key] is JsonArray { Count: > 0 } options) return Make(options[0], depth + 1);
        var type = s["type"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var t) => t,
            JsonArray a => a.Select(t => t?.GetValue<string>()).FirstOrDefault(t => t is not null and not "null"),
            _ => s["properties"] is not null ? "object" : null,
        };
        switch (type)
        {
            case "object":
                var result = new JsonObject();
                if (s["properties"] is JsonObject properties)
                    foreach (var (name, property) in properties) result[name] = Make(property, depth + 1);
                return result;
            case "array":
                var item = Make(s["items"], depth + 1);
                return item is null ? new JsonArray() : new JsonArray(item);
            case "integer":
                return JsonValue.Create(s["minimum"] is JsonValue min && min.TryGetValue<long>(out var low) ? low : 1);
            case "number":
                return JsonValue.Create(s["minimum"] is JsonValue minimum && minimum.TryGetValue<double>(out var least) ? least : 1.5);
            case "boolean":
                return JsonValue.Create(true);
            case "string":
                return JsonValue.Create((s["format"] as JsonValue)?.ToString() switch
                {
                    "date-time" => "2026-01-01T12:00:00Z",
                    "date" => "2026-01-01",
                    "email" => "someone@example.com",
                    "uri" or "url" => "https://example.com/",
                    "uuid" => "00000000-0000-4000-8000-000000000000",
                    _ => "example",
                });
            default:
                return null;
        }
    }
}
