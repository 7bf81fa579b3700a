using System.Diagnostics;
using System.Numerics;
using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;

namespace Herald.Events;

/// <summary>
/// An event type's JSON Schema, compiled so that validating one event takes bounded time. NJsonSchema evaluates
/// <c>pattern</c> and <c>patternProperties</c> with the backtracking engine and no timeout, so a pattern such as
/// <c>^(a+)+$</c> costs exponential time; here those keywords are taken out of the parsed schema and evaluated with the
/// non-backtracking engine (linear time), under one time budget for the whole event.
/// </summary>
public sealed class BoundedSchema
{
    /// <summary>The most time one event's validation may take.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromMilliseconds(100);

    private readonly JsonSchema _schema;
    private readonly Dictionary<JsonSchema, Regex> _patterns = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<JsonSchema, List<(Regex Pattern, JsonSchema Schema)>> _patternProperties = new(ReferenceEqualityComparer.Instance);

    private BoundedSchema(JsonSchema schema)
    {
        _schema = schema;
        var seen = new HashSet<JsonSchema>(ReferenceEqualityComparer.Instance);
        Extract(schema, seen);
        // First use builds the engines' state and compiles the code; do it here, not inside an event's budget.
        foreach (var regex in _patterns.Values.Concat(_patternProperties.Values.SelectMany(p => p.Select(x => x.Pattern))))
            try { regex.IsMatch("a"); } catch (RegexMatchTimeoutException) { }
        try { new Validator(this).Validate("{}", _schema); } catch (SchemaBudgetExceededException) { }
    }

    public static async Task<BoundedSchema> CompileAsync(string schemaJson) => new(await ParseAsync(schemaJson));

    /// <summary>Parses a schema resolving only references inside it ("#/definitions/x"): a file or URL "$ref" is refused, never read or fetched.</summary>
    public static Task<JsonSchema> ParseAsync(string schemaJson) =>
        JsonSchema.FromJsonAsync(schemaJson, null, schema => new LocalReferencesOnly(schema));

    private sealed class LocalReferencesOnly(JsonSchema schema) : JsonReferenceResolver(new JsonSchemaAppender(schema, new DefaultTypeNameGenerator()))
    {
        public override Task<NJsonSchema.References.IJsonReference> ResolveFileReferenceAsync(string filePath, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("A schema may not refer to a file.");

        public override Task<NJsonSchema.References.IJsonReference> ResolveUrlReferenceAsync(string url, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("A schema may not refer to a URL.");
    }

    /// <summary>
    /// The pattern as Herald evaluates it: non-backtracking where the construct allows it (no lookarounds or backreferences),
    /// else the backtracking engine with a match timeout. Throws <see cref="ArgumentException"/> when it is no regex at all.
    /// </summary>
    public static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Budget);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, Budget);
        }
    }

    /// <summary>Why a pattern cannot be used in a schema (null when it can): not a regex, or not evaluable in linear time.</summary>
    public static string? WhyRefused(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Budget);
            return null;
        }
        catch (NotSupportedException)
        {
            return "uses a construct Herald cannot evaluate in bounded time (lookarounds, backreferences, atomic or conditional groups).";
        }
        catch (ArgumentException)
        {
            return "is not a valid regular expression.";
        }
    }

    /// <summary>The errors of <paramref name="dataJson"/>; throws <see cref="SchemaBudgetExceededException"/> when the budget runs out.</summary>
    public ICollection<ValidationError> Validate(string dataJson) =>
        new Validator(this).Validate(dataJson, _schema);

    private void Extract(JsonSchema schema, HashSet<JsonSchema> seen)
    {
        if (!seen.Add(schema)) return;
        if (!string.IsNullOrEmpty(schema.Pattern))
        {
            _patterns[schema] = Compile(schema.Pattern);
            schema.Pattern = null;
        }
        if (schema.PatternProperties.Count > 0)
        {
            _patternProperties[schema] = schema.PatternProperties.Select(p => (Compile(p.Key), (JsonSchema)p.Value)).ToList();
            foreach (var (_, inner) in _patternProperties[schema]) Extract(inner, seen);
            schema.PatternProperties.Clear();
        }
        IEnumerable<JsonSchema?> children =
        [
            schema.Reference, schema.Item, schema.AdditionalPropertiesSchema, schema.AdditionalItemsSchema, schema.Not,
            .. schema.Properties.Values, .. schema.Items, .. schema.AllOf, .. schema.AnyOf, .. schema.OneOf, .. schema.Definitions.Values,
        ];
        foreach (var child in children)
            if (child is not null) Extract(child, seen);
    }

    /// <summary>NJsonSchema's validator, with pattern keywords, huge integers and the time budget handled here.</summary>
    private sealed class Validator(BoundedSchema owner) : JsonSchemaValidator(new JsonSchemaValidatorSettings())
    {
        protected override ICollection<ValidationError> Validate(JToken token, JsonSchema schema, SchemaType schemaType, string? propertyName, string? propertyPath)
        {
            CheckBudget(propertyPath);

            // NJsonSchema reads numbers as decimal and cannot convert an integer beyond its range; judge it as a double.
            var judged = token is JValue { Value: BigInteger big } ? new JValue((double)big) : token;
            var errors = base.Validate(judged, schema, schemaType, propertyName, propertyPath ?? "").ToList();
            if (!ReferenceEquals(judged, token)) errors.RemoveAll(e => e.Kind == ValidationErrorKind.IntegerExpected && ReferenceEquals(e.Token, judged));

            if (owner._patterns.TryGetValue(schema, out var pattern) && token.Type == JTokenType.String
                && !IsMatch(pattern, token.Value<string>() ?? "", propertyPath))
                errors.Add(new ValidationError(ValidationErrorKind.PatternMismatch, propertyName, propertyPath, token, schema));

            if (owner._patternProperties.TryGetValue(schema, out var patternProperties) && token is JObject obj)
            {
                var matched = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in obj.Properties().Where(p => !schema.Properties.ContainsKey(p.Name)))
                {
                    var path = string.IsNullOrEmpty(propertyPath) ? property.Name : $"{propertyPath}.{property.Name}";
                    foreach (var (key, inner) in patternProperties)
                    {
                        if (!IsMatch(key, property.Name, path)) continue;
                        matched.Add(property.Name);
                        errors.AddRange(Validate(property.Value, inner.ActualSchema, schemaType, property.Name, path));
                    }
                }
                // Properties a pattern matched are not "additional", whatever additionalProperties says.
                errors.RemoveAll(e => e.Kind is ValidationErrorKind.NoAdditionalPropertiesAllowed or ValidationErrorKind.AdditionalPropertiesNotValid
                    && ReferenceEquals(e.Schema, schema) && e.Property is not null && matched.Contains(e.Property));
            }
            return errors;
        }

        /// <summary>Time spent matching patterns for this event: the part that can grow beyond the payload's size.</summary>
        private long _matching;

        private bool IsMatch(Regex pattern, string value, string? path)
        {
            CheckBudget(path);
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                return pattern.IsMatch(value);
            }
            catch (RegexMatchTimeoutException)
            {
                throw new SchemaBudgetExceededException(path);
            }
            finally
            {
                _matching += Stopwatch.GetTimestamp() - t0;
            }
        }

        /// <summary>
        /// The budget bounds pattern matching (summed over the event), where a hostile pattern or value could cost more than
        /// linear time; the rest of the validation is linear in the payload, which is size-limited. A busy machine then never
        /// refuses a valid event for the time its other work took. <paramref name="path"/> is where it stopped.
        /// </summary>
        private void CheckBudget(string? path)
        {
            if (Stopwatch.GetElapsedTime(0, _matching) > Budget) throw new SchemaBudgetExceededException(path);
        }
    }
}

/// <summary>Validating one event against its schema took longer than <see cref="BoundedSchema.Budget"/>; <see cref="Path"/> is where it stopped.</summary>
public sealed class SchemaBudgetExceededException(string? path) : Exception("Schema validation took too long.")
{
    public string Path { get; } = path ?? "";
}
