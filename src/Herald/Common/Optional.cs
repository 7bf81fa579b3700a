using System.Text.Json;
using System.Text.Json.Serialization;

namespace Herald.Common;

/// <summary>A JSON field that distinguishes "absent" from "null" for PATCH-style requests.</summary>
[JsonConverter(typeof(OptionalConverterFactory))]
public readonly record struct Optional<T>(bool IsSet, T Value)
{
    public static implicit operator Optional<T>(T value) => new(true, value);
}

public sealed class OptionalConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            try
            {
                return new(true, JsonSerializer.Deserialize<T>(ref reader, options)!);
            }
            catch (JsonException inner)
            {
                // The inner read knows only its own path ("$.a"); the outer read adds this field's ("$.headers").
                throw new NestedJsonException(inner);
            }
        }

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options) =>
            JsonSerializer.Serialize(writer, value.Value, options);
    }
}

/// <summary>A JSON error inside a value read by a nested deserializer; its own <c>Path</c> is the outer field's, <see cref="Inner"/> the rest.</summary>
public sealed class NestedJsonException(JsonException inner) : JsonException(inner.Message, inner)
{
    public JsonException Inner { get; } = inner;
}
