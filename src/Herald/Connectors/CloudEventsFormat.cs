using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Herald.Connectors;

/// <summary>
/// CloudEvents 1.0 for a Herald event, built with the CloudNative.CloudEvents SDK: id = the event id, source =
/// <c>/herald/projects/{project_id}</c> (or a configured source), type = the event type, time = when it occurred,
/// datacontenttype application/json, data = the event's data as published.
/// <para>
/// Every transport can use it: <see cref="Structured"/> gives an application/cloudevents+json body; <see cref="Binary"/> gives
/// the data as the body plus the attributes in <see cref="RenderedPayload.CloudEventAttributes"/>, which the transport
/// carries in its binding (HTTP <c>ce-*</c> headers, see <see cref="HttpHeaderValue"/>; AMQP <c>cloudEvents_*</c> application
/// properties; NATS <c>ce-*</c> headers). <see cref="Attributes"/> gives the attributes of an event on their own.
/// </para>
/// </summary>
public static class CloudEventsFormat
{
    public const string StructuredContentType = "application/cloudevents+json";
    public const string DataContentType = "application/json";

    private static readonly JsonEventFormatter Formatter = new();

    /// <summary>The default source of a project's events.</summary>
    public static string DefaultSource(string projectId) => $"/herald/projects/{projectId}";

    /// <summary>The event as a CloudEvent; <paramref name="source"/> null means <see cref="DefaultSource"/>.</summary>
    public static CloudEvent For(Message m, string projectId, string? source = null) => new(CloudEventsSpecVersion.V1_0)
    {
        Id = m.EventId,
        Source = new Uri(source ?? DefaultSource(projectId), UriKind.RelativeOrAbsolute),
        Type = m.Type,
        Time = m.OccurredAt,
        DataContentType = DataContentType,
        Data = JsonSerializer.SerializeToElement(m.Data),
    };

    /// <summary>
    /// The attributes of the event in their canonical string form, specversion first, then id, source, type, time and
    /// datacontenttype (names without a binding prefix).
    /// </summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Attributes(Message m, string projectId, string? source = null) =>
        AttributesOf(For(m, projectId, source), includeDataContentType: true);

    /// <summary>Structured mode: the whole event as one application/cloudevents+json document.</summary>
    public static RenderedPayload Structured(Message m, string projectId, string? source = null)
    {
        var body = Formatter.EncodeStructuredModeMessage(For(m, projectId, source), out _);
        return new RenderedPayload(body.ToArray(), StructuredContentType);
    }

    /// <summary>Binary mode: the data as the body (application/json), the other attributes beside it.</summary>
    public static RenderedPayload Binary(Message m, string projectId, string? source = null)
    {
        var cloudEvent = For(m, projectId, source);
        return new RenderedPayload(Formatter.EncodeBinaryModeEventData(cloudEvent).ToArray(), DataContentType)
        {
            CloudEventAttributes = AttributesOf(cloudEvent, includeDataContentType: false),
        };
    }

    /// <summary>
    /// A value as the HTTP binding writes it in a ce-* header: UTF-8, with space, '"', '%' and anything outside printable
    /// ASCII percent-encoded (CloudEvents HTTP binding 3.1.3.2).
    /// </summary>
    public static string HttpHeaderValue(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is > 0x20 and < 0x7F and not (byte)'"' and not (byte)'%') text.Append((char)b);
            else text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    private static List<KeyValuePair<string, string>> AttributesOf(CloudEvent e, bool includeDataContentType)
    {
        var attributes = new List<KeyValuePair<string, string>> { new("specversion", e.SpecVersion.VersionId) };
        foreach (var (attribute, value) in e.GetPopulatedAttributes())
        {
            if (!includeDataContentType && attribute.Name == "datacontenttype") continue;
            attributes.Add(new(attribute.Name, attribute.Format(value)));
        }
        return attributes;
    }
}
