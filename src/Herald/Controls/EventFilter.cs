using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Herald.Controls;

/// <summary>
/// A destination's payload filter: a JSON document over the event (<c>type</c>, <c>categories</c>, <c>occurred_at</c>,
/// <c>data.*</c> with dotted paths and array indexes) with comparison operators and <c>$and</c>/<c>$or</c>/<c>$not</c>; a bare
/// value means <c>$eq</c>. Parsed once (<see cref="Parse"/>, which names the path of anything it refuses) and then evaluated at
/// fan-out for each event without allocating much. A missing path matches only <c>$ne</c>, <c>$nin</c> and
/// <c>$exists: false</c>; a comparison between different JSON types is false, never an error.
/// </summary>
public sealed class EventFilter
{
    public const int MaxDepth = 8;
    public const int MaxConditions = 200;
    public const int MaxBytes = 8 * 1024;
    public const int MaxListLength = 100;
    public const int MaxPathSegments = 16;

    private static readonly string[] Operators =
        ["$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$prefix", "$suffix", "$contains", "$not"];

    private readonly Node _root;

    private EventFilter(Node root, string json)
    {
        _root = root;
        Json = json;
    }

    /// <summary>The filter as stored (compact JSON).</summary>
    public string Json { get; }

    public bool Matches(FilterEvent e) => _root.Matches(e);

    /// <summary>Parses and checks a filter; errors are (path, message) with the path starting at <paramref name="field"/>.</summary>
    public static (EventFilter? Filter, List<(string Path, string Message)> Errors) Parse(JsonObject filter, string field)
    {
        var errors = new List<(string, string)>();
        var json = filter.ToJsonString();
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxBytes)
        {
            errors.Add((field, $"must be at most {MaxBytes} bytes of JSON."));
            return (null, errors);
        }
        var parser = new Parser(errors);
        var root = parser.Document(filter, field, 1);
        return errors.Count == 0 ? (new EventFilter(root!, json), errors) : (null, errors);
    }

    /// <summary>Parses a stored filter (already checked when it was saved).</summary>
    public static EventFilter FromStored(string json)
    {
        var (filter, errors) = Parse(JsonNode.Parse(json)!.AsObject(), "filter");
        return filter ?? throw new InvalidOperationException($"A stored filter no longer parses: {errors[0].Path}: {errors[0].Message}");
    }

    private sealed class Parser(List<(string Path, string Message)> errors)
    {
        private int _conditions;

        public Node? Document(JsonObject document, string path, int depth)
        {
            if (depth > MaxDepth)
            {
                errors.Add((path, $"nests $and, $or and $not more than {MaxDepth} deep."));
                return null;
            }
            var parts = new List<Node>();
            foreach (var (key, value) in document)
            {
                var at = $"{path}.{key}";
                if (++_conditions > MaxConditions)
                {
                    errors.Add((path, $"may have at most {MaxConditions} conditions."));
                    return null;
                }
                switch (key)
                {
                    case "$and" or "$or":
                        if (value is not JsonArray { Count: > 0 and <= MaxListLength } list)
                        {
                            errors.Add((at, $"must be an array of 1 to {MaxListLength} filter objects."));
                            continue;
                        }
                        var children = new List<Node>();
                        for (var i = 0; i < list.Count; i++)
                        {
                            if (list[i] is JsonObject child) { if (Document(child, $"{at}[{i}]", depth + 1) is { } n) children.Add(n); }
                            else errors.Add(($"{at}[{i}]", "must be a filter object."));
                        }
                        parts.Add(key == "$and" ? new AllOf(children) : new AnyOf(children));
                        break;
                    case "$not":
                        if (value is JsonObject negated) { if (Document(negated, at, depth + 1) is { } n) parts.Add(new Not(n)); }
                        else errors.Add((at, "must be a filter object."));
                        break;
                    default:
                        if (key.StartsWith('$'))
                        {
                            errors.Add((at, "is not an operator here: a filter's keys are $and, $or, $not or a path (type, categories, occurred_at, data.<path>)."));
                            continue;
                        }
                        if (FieldPath.Parse(key) is not { } fieldPath)
                        {
                            errors.Add((at, "must be type, categories, occurred_at or data.<path> (dotted names and array indexes, at most 16 parts)."));
                            continue;
                        }
                        if (Condition(fieldPath, value, at, depth) is { } condition) parts.Add(condition);
                        break;
                }
            }
            return new AllOf(parts);
        }

        /// <summary>The value of a path: a bare value ($eq) or an object of operators.</summary>
        private FieldTest? Condition(FieldPath path, JsonNode? value, string at, int depth)
        {
            if (value is not JsonObject ops || ops.Count == 0 || !ops.Any(p => p.Key.StartsWith('$')))
                return Operand(path, "$eq", value, at) is { } bare ? new FieldTest(path, [bare]) : null;
            if (depth > MaxDepth)
            {
                errors.Add((at, $"nests $not more than {MaxDepth} deep."));
                return null;
            }
            var tests = new List<Node>();
            foreach (var (op, operand) in ops)
            {
                var opAt = $"{at}.{op}";
                if (++_conditions > MaxConditions)
                {
                    errors.Add((at, $"may have at most {MaxConditions} conditions."));
                    return null;
                }
                if (!Operators.Contains(op))
                {
                    errors.Add((opAt, op.StartsWith('$')
                        ? $"is not an operator; use one of {string.Join(", ", Operators)}."
                        : "cannot sit beside operators: use {\"$eq\": {...}} to compare with an object."));
                    continue;
                }
                if (op == "$not")
                {
                    if (operand is JsonObject inner && inner.Count > 0 && inner.All(p => p.Key.StartsWith('$')))
                    {
                        if (Condition(path, inner, opAt, depth + 1) is { } negated) tests.Add(new NotValue(negated));
                    }
                    else errors.Add((opAt, "must be an object of operators, such as {\"$gt\": 5}."));
                    continue;
                }
                if (Operand(path, op, operand, opAt) is { } test) tests.Add(test);
            }
            return new FieldTest(path, tests);
        }

        private Test? Operand(FieldPath path, string op, JsonNode? operand, string at)
        {
            JsonElement Element(JsonNode? n) => JsonSerializer.SerializeToElement(n);
            switch (op)
            {
                case "$eq" or "$ne":
                    if (path.IsOccurredAt && Instant(operand) is null) return Fail(at, "must be a date-time such as 2026-01-31T12:00:00Z.");
                    return new Test(op, Element(operand), path.IsOccurredAt ? Instant(operand) : null, path.IsOccurredAt);
                case "$in" or "$nin":
                    if (operand is not JsonArray { Count: <= MaxListLength } values) return Fail(at, $"must be an array of at most {MaxListLength} values.");
                    if (path.IsOccurredAt && values.Any(v => Instant(v) is null)) return Fail(at, "must list date-times such as 2026-01-31T12:00:00Z.");
                    return new Test(op, Element(operand), null, path.IsOccurredAt);
                case "$gt" or "$gte" or "$lt" or "$lte":
                    if (path.IsOccurredAt)
                        return Instant(operand) is { } instant ? new Test(op, Element(operand), instant, true) : Fail(at, "must be a date-time such as 2026-01-31T12:00:00Z.");
                    if (operand is JsonValue v && (v.GetValueKind() is JsonValueKind.Number or JsonValueKind.String)) return new Test(op, Element(operand), null, false);
                    return Fail(at, "must be a number or a string.");
                case "$exists":
                    if (operand is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return new Test(op, Element(operand), null, false);
                    return Fail(at, "must be true or false.");
                case "$prefix" or "$suffix":
                    if (operand is JsonValue s && s.GetValueKind() == JsonValueKind.String) return new Test(op, Element(operand), null, false);
                    return Fail(at, "must be a string.");
                case "$contains":
                    if (operand is null or JsonValue) return new Test(op, Element(operand), null, false);
                    return Fail(at, "must be a string, number, boolean or null.");
                default:
                    return Fail(at, "is not an operator.");
            }
        }

        private Test? Fail(string at, string message)
        {
            errors.Add((at, message));
            return null;
        }
    }

    internal static DateTimeOffset? Instant(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String && TryInstant(v.GetValue<string>(), out var t) ? t : null;

    private static bool TryInstant(string text, out DateTimeOffset value) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
        && text.Length >= 10 && char.IsAsciiDigit(text[0]);

    private abstract class Node
    {
        public abstract bool Matches(FilterEvent e);
    }

    private sealed class AllOf(List<Node> parts) : Node
    {
        public override bool Matches(FilterEvent e)
        {
            foreach (var p in parts) if (!p.Matches(e)) return false;
            return true;
        }
    }

    private sealed class AnyOf(List<Node> parts) : Node
    {
        public override bool Matches(FilterEvent e)
        {
            foreach (var p in parts) if (p.Matches(e)) return true;
            return false;
        }
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Matches(FilterEvent e) => !inner.Matches(e);
    }

    /// <summary>All the tests on one path; a <c>$not</c> inside it negates its own operators on the same value.</summary>
    private sealed class FieldTest(FieldPath path, List<Node> tests) : Node
    {
        public override bool Matches(FilterEvent e)
        {
            var found = path.Resolve(e, out var value);
            return MatchesValue(found, value);
        }

        public bool MatchesValue(bool found, JsonElement value)
        {
            foreach (var t in tests)
            {
                var ok = t switch
                {
                    Test test => test.Matches(found, value),
                    NotValue n => n.MatchesValue(found, value),
                    _ => false,
                };
                if (!ok) return false;
            }
            return true;
        }
    }

    private sealed class NotValue(FieldTest inner) : Node
    {
        public override bool Matches(FilterEvent e) => !inner.Matches(e);

        public bool MatchesValue(bool found, JsonElement value) => !inner.MatchesValue(found, value);
    }

    /// <summary>One operator with its operand, prepared at parse time (operand strings and, for occurred_at, instants).</summary>
    private sealed class Test : Node
    {
        private readonly string _op;
        private readonly JsonElement _operand;
        private readonly DateTimeOffset? _instant;
        private readonly string? _text;
        private readonly (JsonElement Value, DateTimeOffset? Instant)[] _list = [];

        public Test(string op, JsonElement operand, DateTimeOffset? instant, bool instants)
        {
            _op = op;
            _operand = operand;
            _instant = instant;
            _text = operand.ValueKind == JsonValueKind.String ? operand.GetString() : null;
            if (operand.ValueKind == JsonValueKind.Array)
                _list = operand.EnumerateArray().Select(o => (o, instants ? FilterInstant(o) : null)).ToArray();
        }

        public override bool Matches(FilterEvent e) => throw new InvalidOperationException("A test runs on a path's value.");

        public bool Matches(bool found, JsonElement value)
        {
            switch (_op)
            {
                case "$exists": return found == _operand.GetBoolean();
                case "$ne": return !found || !EqualsOperand(value, _operand, _instant);
                case "$nin":
                    if (!found) return true;
                    foreach (var (o, at) in _list) if (EqualsOperand(value, o, at)) return false;
                    return true;
            }
            if (!found) return false;
            switch (_op)
            {
                case "$eq": return EqualsOperand(value, _operand, _instant);
                case "$in":
                    foreach (var (o, at) in _list) if (EqualsOperand(value, o, at)) return true;
                    return false;
                case "$gt" or "$gte" or "$lt" or "$lte":
                    var c = Compare(value, _operand, _instant);
                    return c is { } cmp && _op switch { "$gt" => cmp > 0, "$gte" => cmp >= 0, "$lt" => cmp < 0, _ => cmp <= 0 };
                case "$prefix": return value.ValueKind == JsonValueKind.String && value.GetString()!.StartsWith(_text!, StringComparison.Ordinal);
                case "$suffix": return value.ValueKind == JsonValueKind.String && value.GetString()!.EndsWith(_text!, StringComparison.Ordinal);
                case "$contains":
                    if (value.ValueKind == JsonValueKind.String)
                        return _text is not null && value.GetString()!.Contains(_text, StringComparison.Ordinal);
                    if (value.ValueKind == JsonValueKind.Array)
                        foreach (var item in value.EnumerateArray()) if (JsonEquals(item, _operand)) return true;
                    return false;
                default: return false;
            }
        }

        private static DateTimeOffset? FilterInstant(JsonElement o) =>
            o.ValueKind == JsonValueKind.String && TryInstant(o.GetString()!, out var t) ? t : null;
    }

    /// <summary>$eq: equal JSON values; an array value also equals a scalar it contains (as categories: "billing"); instants by time.</summary>
    private static bool EqualsOperand(JsonElement value, JsonElement operand, DateTimeOffset? instant)
    {
        if (instant is { } at && value.ValueKind == JsonValueKind.String && TryInstant(value.GetString()!, out var v)) return v == at;
        if (JsonEquals(value, operand)) return true;
        if (value.ValueKind == JsonValueKind.Array && operand.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
            foreach (var item in value.EnumerateArray()) if (JsonEquals(item, operand)) return true;
        return false;
    }

    private static int? Compare(JsonElement value, JsonElement operand, DateTimeOffset? instant)
    {
        if (instant is { } at)
            return value.ValueKind == JsonValueKind.String && TryInstant(value.GetString()!, out var v) ? v.CompareTo(at) : null;
        if (value.ValueKind == JsonValueKind.Number && operand.ValueKind == JsonValueKind.Number)
            return value.TryGetDecimal(out var a) && operand.TryGetDecimal(out var b) ? a.CompareTo(b) : value.GetDouble().CompareTo(operand.GetDouble());
        if (value.ValueKind == JsonValueKind.String && operand.ValueKind == JsonValueKind.String)
            return Math.Sign(string.CompareOrdinal(value.GetString(), operand.GetString()));
        return null;
    }

    internal static bool JsonEquals(JsonElement a, JsonElement b)
    {
        if (a.ValueKind == JsonValueKind.Number && b.ValueKind == JsonValueKind.Number)
            return a.TryGetDecimal(out var x) && b.TryGetDecimal(out var y) ? x == y : a.GetDouble().Equals(b.GetDouble());
        return JsonElement.DeepEquals(a, b);
    }
}

/// <summary>A parsed path: the root (type, categories, occurred_at, data) and the segments under data (names or indexes).</summary>
internal sealed class FieldPath
{
    private readonly string _root;
    private readonly string[] _segments;

    private FieldPath(string root, string[] segments)
    {
        _root = root;
        _segments = segments;
    }

    public bool IsOccurredAt => _root == "occurred_at";

    /// <summary>"data.items[0].sku", "data.items.0.sku", "type"...; null when malformed.</summary>
    public static FieldPath? Parse(string key)
    {
        if (key.Length is 0 or > 200) return null;
        var segments = new List<string>();
        foreach (var part in key.Split('.'))
        {
            var rest = part;
            var bracket = rest.IndexOf('[');
            var name = bracket < 0 ? rest : rest[..bracket];
            if (name.Length == 0 && bracket != 0) return null;
            if (name.Length > 0) segments.Add(name);
            if (bracket == 0 && segments.Count == 0) return null;
            rest = bracket < 0 ? "" : rest[bracket..];
            while (rest.Length > 0)
            {
                var close = rest.IndexOf(']');
                if (rest[0] != '[' || close < 2 || !int.TryParse(rest[1..close], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return null;
                segments.Add(rest[1..close]);
                rest = rest[(close + 1)..];
            }
        }
        if (segments.Count == 0 || segments.Count > EventFilter.MaxPathSegments) return null;
        var root = segments[0];
        if (root is "type" or "categories" or "occurred_at") return segments.Count == 1 ? new FieldPath(root, []) : null;
        return root == "data" ? new FieldPath("data", segments.Skip(1).ToArray()) : null;
    }

    public bool Resolve(FilterEvent e, out JsonElement value)
    {
        switch (_root)
        {
            case "type": value = e.TypeElement; return true;
            case "categories": value = e.CategoriesElement; return true;
            case "occurred_at": value = e.OccurredAtElement; return true;
        }
        value = e.Data;
        foreach (var segment in _segments)
        {
            if (value.ValueKind == JsonValueKind.Object)
            {
                if (!value.TryGetProperty(segment, out value)) return false;
            }
            else if (value.ValueKind == JsonValueKind.Array && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                if (index >= value.GetArrayLength()) return false;
                value = value[index];
            }
            else return false;
        }
        return true;
    }
}

/// <summary>The parts of an event a filter reads, parsed once per event however many destinations test it.</summary>
public sealed class FilterEvent
{
    public FilterEvent(string type, IReadOnlyList<string> categories, DateTimeOffset occurredAt, JsonElement data)
    {
        TypeElement = JsonSerializer.SerializeToElement(type);
        CategoriesElement = JsonSerializer.SerializeToElement(categories);
        OccurredAtElement = JsonSerializer.SerializeToElement(occurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
        Data = data;
    }

    public JsonElement TypeElement { get; }
    public JsonElement CategoriesElement { get; }
    public JsonElement OccurredAtElement { get; }
    public JsonElement Data { get; }

    /// <summary>From a stored event's columns (data and categories as stored JSON).</summary>
    public static FilterEvent FromStored(string type, string? categoriesJson, long occurredAtMs, string dataJson)
    {
        using var data = JsonDocument.Parse(dataJson);
        var categories = categoriesJson is null ? [] : JsonSerializer.Deserialize<string[]>(categoriesJson)!;
        return new FilterEvent(type, categories, DateTimeOffset.FromUnixTimeMilliseconds(occurredAtMs), data.RootElement.Clone());
    }
}
