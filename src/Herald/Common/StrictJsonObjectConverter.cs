using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Herald.Common;

/// <summary>
/// Reads free-form JSON objects (event data, event-type schemas) refusing a key named twice at any depth, inside arrays too.
/// The framework's own JsonObject reader throws a bare ArgumentException on a duplicate, which would be a 500; this one throws
/// <see cref="DuplicateJsonKeyException"/> carrying the path of the key inside the object, so the problem can name it.
/// </summary>
public sealed class StrictJsonObjectConverter : JsonConverter<JsonObject>
{
    public override JsonObject? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject) throw new JsonException();
        return ReadObject(ref reader, "");
    }

    public override void Write(Utf8JsonWriter writer, JsonObject value, JsonSerializerOptions options) => value.WriteTo(writer, options);

    internal static JsonObject ReadObject(ref Utf8JsonReader reader, string path)
    {
        var result = new JsonObject();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = ReadString(ref reader);
            var inner = path.Length == 0 ? name : $"{path}.{name}";
            if (result.ContainsKey(name)) throw new DuplicateJsonKeyException(inner);
            reader.Read();
            result.Add(name, ReadValue(ref reader, inner));
        }
        return result;
    }

    private static string ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException("A string is not valid UTF-16 (a lone surrogate such as \\ud800).");
        }
    }

    private static JsonArray ReadArray(ref Utf8JsonReader reader, string path)
    {
        var result = new JsonArray();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            result.Add(ReadValue(ref reader, $"{path}[{result.Count}]"));
        return result;
    }

    internal static JsonNode? ReadValue(ref Utf8JsonReader reader, string path) => reader.TokenType switch
    {
        JsonTokenType.StartObject => ReadObject(ref reader, path),
        JsonTokenType.StartArray => ReadArray(ref reader, path),
        // Read as text now: a lone surrogate ("\ud800") is refused here, not later when the value is written out.
        JsonTokenType.String => JsonValue.Create(ReadString(ref reader)),
        _ => JsonValue.Create(JsonElement.ParseValue(ref reader)),
    };
}

/// <summary>Reads any free-form JSON value (a control's "timeout" may be a number or a string) with the same duplicate-key rule.</summary>
public sealed class StrictJsonNodeConverter : JsonConverter<JsonNode>
{
    public override bool HandleNull => false;

    public override JsonNode? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        StrictJsonObjectConverter.ReadValue(ref reader, "");

    public override void Write(Utf8JsonWriter writer, JsonNode value, JsonSerializerOptions options) => value.WriteTo(writer, options);
}

/// <summary>A key appears twice in a JSON object; <see cref="KeyPath"/> is where, relative to the field being read ("a", "list[1].c").</summary>
public sealed class DuplicateJsonKeyException(string keyPath) : JsonException($"Duplicate key in a JSON object.")
{
    public string KeyPath { get; } = keyPath;
}
