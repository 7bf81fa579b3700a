using Herald.Connectors;

namespace Herald.Destinations.Kinds;

/// <summary>
/// The <c>format</c> (and <c>source</c>) settings of kinds that deliver Herald's own payload rather than a chat platform's:
/// custom webhooks, and broker kinds, which list <see cref="Format"/> and <see cref="Source"/> among their settings, call
/// <see cref="Check"/> from <see cref="DestinationKind.CheckSettings"/> and render with <see cref="Render"/>.
/// </summary>
public static class PayloadFormats
{
    /// <summary>The envelope: <c>{source, type, title, body, data, id, occurred_at}</c> as application/json (the default).</summary>
    public const string Envelope = "envelope";
    /// <summary>CloudEvents 1.0 structured mode: application/cloudevents+json.</summary>
    public const string CloudEvents = "cloudevents";
    /// <summary>CloudEvents 1.0 binary mode: the data as the body, attributes in the transport's headers or properties.</summary>
    public const string CloudEventsBinary = "cloudevents-binary";

    public static readonly KindSetting Format = new("format",
        "envelope (default): Herald's JSON envelope; cloudevents: a CloudEvents 1.0 structured event; cloudevents-binary: CloudEvents binary mode.",
        Envelope, [Envelope, CloudEvents, CloudEventsBinary]);

    public static readonly KindSetting Source = new("source",
        "The CloudEvents source attribute (a URI reference); default /herald/projects/{project_id}. Only with a CloudEvents format.",
        // Printable ASCII without '"' and '%': carried as is in every binding's headers (HTTP would percent-encode the rest).
        Check: value => value.Any(c => c is <= ' ' or >= '\x7f' or '"' or '%') || !Uri.TryCreate(value, UriKind.RelativeOrAbsolute, out _)
            ? "must be a URI reference of printable ASCII without spaces, '\"' or '%', such as /my-service or https://example.com/events."
            : null,
        MaxLength: 512);

    /// <summary>A source only means something with a CloudEvents format.</summary>
    public static void Check(DestinationSettings settings, ICollection<(string Setting, string Error)> errors)
    {
        if (settings.Values.ContainsKey(Source.Name) && !IsCloudEvents(settings))
            errors.Add((Source.Name, $"only applies with \"format\": \"{CloudEvents}\" or \"{CloudEventsBinary}\"."));
    }

    public static bool IsCloudEvents(DestinationSettings settings) => settings[Format.Name] is CloudEvents or CloudEventsBinary;

    /// <summary>The message in the destination's format.</summary>
    public static RenderedPayload Render(Message message, FormatContext context) => context.Settings[Format.Name] switch
    {
        CloudEvents => CloudEventsFormat.Structured(message, context.ProjectId, context.Settings[Source.Name]),
        CloudEventsBinary => CloudEventsFormat.Binary(message, context.ProjectId, context.Settings[Source.Name]),
        _ => RenderedPayload.Json(PayloadRenderer.Envelope(message)),
    };
}
