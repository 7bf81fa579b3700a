using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fluid;
using Fluid.Values;
using Herald.Connectors;

namespace Herald.Controls;

/// <summary>
/// A destination's <c>template</c> control (Liquid, via Fluid): for Slack, Discord and Teams the message text, for custom
/// webhooks and brokers the whole JSON body. Sandboxed: the only variables are plain dictionaries, lists and values built from
/// the event (<c>event.id</c>, <c>event.type</c>, <c>event.data…</c>, <c>event.categories</c>, <c>event.occurred_at</c>,
/// <c>event.title</c>, <c>event.body</c>), <c>project.name</c> and <c>destination.name</c>; no file provider (no
/// <c>include</c>/<c>render</c>), no CLR member access, at most <see cref="MaxSteps"/> steps and <see cref="MaxRecursion"/>
/// levels, and at most <see cref="MaxOutputChars"/> characters of output. Every value a chat template prints is escaped for
/// its platform (the template's own text is not), so event data cannot make mentions or links; a JSON body template prints
/// values JSON-string-escaped (<c>"{{ event.type }}"</c>) and <c>{{ x | json }}</c> prints a value as JSON.
/// </summary>
public sealed class MessageTemplate
{
    public const int MaxSourceChars = 8192;
    public const int MaxSteps = 10_000;
    public const int MaxRecursion = 16;
    public const int MaxOutputChars = 64 * 1024;

    /// <summary>The outcome of a delivery whose template failed to render (final: never retried).</summary>
    public const string ErrorOutcome = "template_error";

    private static readonly FluidParser Parser = new();
    private static readonly TemplateOptions ChatOptions = Options(json: false);
    private static readonly TemplateOptions JsonOptions = Options(json: true);
    private static readonly Regex Position = new(@"\((\d+):(\d+)\)", RegexOptions.Compiled);

    private readonly IFluidTemplate _template;
    public string Source { get; }

    private MessageTemplate(string source, IFluidTemplate template) => (Source, _template) = (source, template);

    /// <summary>How a kind uses a template: the chat platform whose text it is, or a JSON body; null when the kind takes none.</summary>
    public static TemplateTarget? TargetOf(string kind) => kind switch
    {
        "slack" => TemplateTarget.Slack,
        "discord" => TemplateTarget.Discord,
        "teams" => TemplateTarget.Teams,
        "webhook" or "rabbitmq" or "nats" => TemplateTarget.JsonBody,
        _ => null,
    };

    /// <summary>Parses a template; on failure, what is wrong and where ("line 2, column 5: ...").</summary>
    public static (MessageTemplate? Template, string? Error) Parse(string source)
    {
        if (source.Length > MaxSourceChars) return (null, $"must be at most {MaxSourceChars} characters.");
        if (Parser.TryParse(source, out var template, out var error))
            return (new MessageTemplate(source, new RangeBounds().VisitTemplate(template)), null);
        var detail = error ?? "does not parse";
        var at = Position.Match(detail);
        var where = at.Success ? $"line {at.Groups[1].Value}, column {at.Groups[2].Value}" : "line 1, column 1";
        var message = at.Success ? detail[..at.Index].TrimEnd().TrimEnd(',', ' ') : detail;
        return (null, $"does not parse as a Liquid template at {where}: {(message.Length == 0 ? "syntax error" : message)}.");
    }

    /// <summary>
    /// The payload for <paramref name="target"/>: the chat platform's message carrying the rendered text (escaped values, the
    /// platform's length limit), or the rendered JSON body. Null with a reason (no event data, no URL) when it cannot render.
    /// </summary>
    public (RenderedPayload? Payload, string? Error) Render(TemplateTarget target, Message m, string projectName, string destinationName)
    {
        var (text, error) = RenderText(target, m, projectName, destinationName);
        if (text is null) return (null, error);
        switch (target)
        {
            case TemplateTarget.Slack:
                return (RenderedPayload.Json(new JsonObject { ["text"] = TextLimits.Truncate(text, SlackFormat.MaxText) }), null);
            case TemplateTarget.Discord:
                return (RenderedPayload.Json(new JsonObject
                {
                    ["content"] = TextLimits.Truncate(text, DiscordFormat.MaxContent),
                    ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
                }), null);
            case TemplateTarget.Teams:
                return (RenderedPayload.Json(new JsonObject
                {
                    ["type"] = "message",
                    ["attachments"] = new JsonArray
                    {
                        new JsonObject
                        {
                            ["contentType"] = "application/vnd.microsoft.card.adaptive", ["contentUrl"] = null,
                            ["content"] = new JsonObject
                            {
                                ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json", ["type"] = "AdaptiveCard", ["version"] = "1.4",
                                ["body"] = new JsonArray
                                {
                                    new JsonObject { ["type"] = "TextBlock", ["text"] = TextLimits.Truncate(text, TeamsMaxText), ["wrap"] = true },
                                },
                            },
                        },
                    },
                }), null);
            default:
                try
                {
                    using var _ = JsonDocument.Parse(text);
                }
                catch (JsonException e)
                {
                    return (null, $"the template rendered a body that is not JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
                }
                return (new RenderedPayload(Encoding.UTF8.GetBytes(text), "application/json"), null);
        }
    }

    public const int TeamsMaxText = 4000;

    private (string? Text, string? Error) RenderText(TemplateTarget target, Message m, string projectName, string destinationName)
    {
        var json = target == TemplateTarget.JsonBody;
        var context = new TemplateContext(json ? JsonOptions : ChatOptions);
        context.SetValue("event", ToValue(new Dictionary<string, object?>
        {
            ["id"] = m.EventId,
            ["type"] = m.Type,
            ["title"] = m.Title,
            ["body"] = m.Body,
            ["data"] = Plain(m.Data),
            ["categories"] = m.Categories.Cast<object?>().ToList(),
            ["occurred_at"] = m.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        }));
        context.SetValue("project", ToValue(new Dictionary<string, object?> { ["name"] = projectName }));
        context.SetValue("destination", ToValue(new Dictionary<string, object?> { ["name"] = destinationName }));
        var writer = new BoundedWriter(MaxOutputChars);
        var encoder = new ValueEncoder(target);
        try
        {
            var task = _template.RenderAsync(writer, encoder, context);
            if (!task.IsCompleted) task.AsTask().GetAwaiter().GetResult();
            else task.GetAwaiter().GetResult();
        }
        catch (OutputTooLargeException)
        {
            return (null, $"the template's output passed {MaxOutputChars / 1024} KiB.");
        }
        catch (RangeTooLargeException)
        {
            return (null, $"the template made a range of more than {MaxRange} numbers.");
        }
        catch (InvalidOperationException e) when (e.Message.Contains("maximum", StringComparison.OrdinalIgnoreCase))
        {
            // Fluid's step and recursion guards (a loop that never ends counts against either).
            return (null, $"the template took more than {MaxSteps} steps or nested more than {MaxRecursion} levels.");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Fluid's messages name the template's own parts (a filter, an argument), never a secret.
            return (null, "the template failed to render: " + TextLimits.Truncate(e.Message, 200));
        }
        return (writer.ToString(), null);
    }

    private static TemplateOptions Options(bool json)
    {
        var options = new TemplateOptions
        {
            MaxSteps = MaxSteps,
            MaxRecursion = MaxRecursion,
            FileProvider = new Microsoft.Extensions.FileProviders.NullFileProvider(),
            MemberAccessStrategy = new DefaultMemberAccessStrategy(), // nothing registered: no CLR members are reachable
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
        };
        // "raw" would print a value unescaped: here it prints it like any other value.
        options.Filters.AddFilter("raw", static (input, _, _) => input);
        // "json" prints a value as JSON: as is in a JSON body, escaped like any other text in a chat message.
        options.Filters.AddFilter("json", (input, _, _) =>
        {
            var text = JsonSerializer.Serialize(FromValue(input, 0));
            if (text.Length > MaxOutputChars) throw new OutputTooLargeException();
            return new StringValue(text, encode: !json);
        });
        // Filters that grow strings are checked so that doubling a string in a loop stops at the output limit.
        foreach (var name in new[] { "append", "prepend", "replace", "replace_first", "replace_last", "join", "concat" })
            if (options.Filters.TryGetValue(name, out var filter))
                options.Filters.AddFilter(name, async (input, arguments, context) =>
                {
                    var result = await filter(input, arguments, context);
                    if (result is StringValue s && s.ToStringValue().Length > MaxOutputChars) throw new OutputTooLargeException();
                    return result;
                });
        return options;
    }

    private static FluidValue ToValue(Dictionary<string, object?> values) => new DictionaryValue(new FluidValueDictionaryFluidIndexable(
        values.ToDictionary(p => p.Key, p => ValueOf(p.Value))));

    private static FluidValue ValueOf(object? value) => value switch
    {
        null => NilValue.Instance,
        string s => new StringValue(s),
        bool b => BooleanValue.Create(b),
        decimal d => NumberValue.Create(d),
        Dictionary<string, object?> map => ToValue(map),
        List<object?> list => new ArrayValue(list.Select(ValueOf).ToArray()),
        _ => new StringValue(Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
    };

    /// <summary>JSON as plain values: dictionaries, lists, strings, decimals (doubles beyond decimal's range as text), booleans.</summary>
    private static object? Plain(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => o.ToDictionary(p => p.Key, p => Plain(p.Value)),
        JsonArray a => a.Select(Plain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.TryGetValue<decimal>(out var d) ? d
                : decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) ? parsed : v.ToJsonString(),
            _ => null,
        },
        _ => null,
    };

    private static JsonNode? FromValue(FluidValue value, int depth)
    {
        if (depth > 64) throw new InvalidOperationException("json: the value is nested too deeply");
        switch (value)
        {
            case NilValue or EmptyValue or BlankValue: return null;
            case BooleanValue b: return JsonValue.Create(b.ToBooleanValue());
            case NumberValue n: return JsonValue.Create(n.ToNumberValue());
            case ArrayValue a: return new JsonArray(a.Values.Select(v => FromValue(v, depth + 1)).ToArray());
            case DictionaryValue d when d.ToObjectValue() is IFluidIndexable map:
                var o = new JsonObject();
                foreach (var key in map.Keys)
                    if (map.TryGetValue(key, out var item)) o[key] = FromValue(item, depth + 1);
                return o;
            default: return JsonValue.Create(value.ToStringValue());
        }
    }

    private sealed class OutputTooLargeException : Exception;
    private sealed class RangeTooLargeException : Exception;

    /// <summary>The most numbers a range such as (1..n) may hold: Fluid builds a range whole before a loop's steps are counted.</summary>
    public const int MaxRange = MaxSteps;

    /// <summary>Puts a size check in front of every range of a parsed template.</summary>
    private sealed class RangeBounds : Fluid.Ast.AstRewriter
    {
        protected override Fluid.Ast.Expression VisitRangeExpression(Fluid.Ast.RangeExpression range) => new BoundedRange(range);

        protected override Fluid.Ast.Statement VisitCaptureStatement(Fluid.Ast.CaptureStatement capture) =>
            new BoundedCapture(capture.Identifier, capture.Statements.Select(Visit).ToList());
    }

    /// <summary>{% capture x %}…{% endcapture %} into a bounded writer: captured text counts against the output limit too.</summary>
    private sealed class BoundedCapture(string identifier, IReadOnlyList<Fluid.Ast.Statement> statements) : Fluid.Ast.Statement
    {
        public override async ValueTask<Fluid.Ast.Completion> WriteToAsync(TextWriter writer, TextEncoder encoder, TemplateContext context)
        {
            var inner = new BoundedWriter(MaxOutputChars);
            foreach (var statement in statements)
            {
                var completion = await statement.WriteToAsync(inner, encoder, context);
                if (completion != Fluid.Ast.Completion.Normal)
                {
                    context.SetValue(identifier, new StringValue(inner.ToString(), false));
                    return completion;
                }
            }
            context.SetValue(identifier, new StringValue(inner.ToString(), false));
            return Fluid.Ast.Completion.Normal;
        }
    }

    private sealed class BoundedRange(Fluid.Ast.RangeExpression range) : Fluid.Ast.Expression
    {
        public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
        {
            var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
            var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
            if (to - from >= MaxRange) throw new RangeTooLargeException();
            return await range.EvaluateAsync(context);
        }
    }

    /// <summary>A StringWriter that refuses to hold more than a limit.</summary>
    private sealed class BoundedWriter(int max) : StringWriter(CultureInfo.InvariantCulture)
    {
        private void Check(int more)
        {
            if (GetStringBuilder().Length + more > max) throw new OutputTooLargeException();
        }

        public override void Write(char value) { Check(1); base.Write(value); }
        public override void Write(char[] buffer, int index, int count) { Check(count); base.Write(buffer, index, count); }
        public override void Write(string? value) { Check(value?.Length ?? 0); base.Write(value); }
        public override void Write(ReadOnlySpan<char> buffer) { Check(buffer.Length); base.Write(buffer); }
        public override Task WriteAsync(char value) { Write(value); return Task.CompletedTask; }
        public override Task WriteAsync(string? value) { Write(value); return Task.CompletedTask; }
        public override Task WriteAsync(char[] buffer, int index, int count) { Write(buffer, index, count); return Task.CompletedTask; }
        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken ct = default) { Write(buffer.Span); return Task.CompletedTask; }
    }

    /// <summary>
    /// Escapes each value a template prints (never the template's own text): for a chat platform so that it cannot make a
    /// mention, a link or markup; for a JSON body as the inside of a JSON string.
    /// </summary>
    private sealed class ValueEncoder(TemplateTarget target) : TextEncoder
    {
        public override int MaxOutputCharactersPerInputCharacter => 12;

        public override void Encode(TextWriter output, string value, int startIndex, int characterCount)
        {
            if (characterCount > MaxOutputChars) throw new OutputTooLargeException();
            output.Write(Escape(target, value.Substring(startIndex, characterCount)));
        }

        public override void Encode(TextWriter output, char[] value, int startIndex, int characterCount) =>
            Encode(output, new string(value, startIndex, characterCount), 0, characterCount);

        public override string Encode(string value)
        {
            if (value.Length > MaxOutputChars) throw new OutputTooLargeException();
            return Escape(target, value);
        }

        public override unsafe int FindFirstCharacterToEncode(char* text, int textLength) => textLength > 0 ? 0 : -1;
        public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
        {
            var escaped = Escape(target, char.ConvertFromUtf32(unicodeScalar));
            if (escaped.Length > bufferLength) { numberOfCharactersWritten = 0; return false; }
            for (var i = 0; i < escaped.Length; i++) buffer[i] = escaped[i];
            numberOfCharactersWritten = escaped.Length;
            return true;
        }
        public override bool WillEncode(int unicodeScalar) => true;
    }

    /// <summary>A printed value, escaped for <paramref name="target"/>.</summary>
    public static string Escape(TemplateTarget target, string value) => target switch
    {
        TemplateTarget.Slack => BreakUrls(SlackFormat.Escape(value)),
        TemplateTarget.Discord => BreakUrls(DiscordFormat.Escape(value).Replace("[", "\\[").Replace("]", "\\]").Replace("(", "\\(").Replace(")", "\\)")),
        TemplateTarget.Teams => BreakUrls(value.Replace("\\", "\\\\").Replace("[", "\\[").Replace("]", "\\]").Replace("(", "\\(").Replace(")", "\\)")
            .Replace("*", "\\*").Replace("_", "\\_").Replace("`", "\\`").Replace("<", "<\u200b")),
        _ => JavaScriptEncoder.UnsafeRelaxedJsonEscaping.Encode(value),
    };

    /// <summary>"https://x" in a value would be linked by the platform: a zero-width space after the scheme keeps it text.</summary>
    private static string BreakUrls(string text) => text.Contains("://", StringComparison.Ordinal) ? text.Replace("://", ":\u200b//") : text;
}

public enum TemplateTarget
{
    Slack,
    Discord,
    Teams,
    /// <summary>Custom webhooks and brokers: the template is the whole JSON body.</summary>
    JsonBody,
}
