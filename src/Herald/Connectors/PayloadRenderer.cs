using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Destinations;

namespace Herald.Connectors;

/// <summary>Renders a message into the shape each destination kind expects.</summary>
public static class PayloadRenderer
{
    public const string Source = "herald";

    public static RenderedPayload Render(string kind, Message message)
    {
        JsonNode body = kind switch
        {
            DestinationKinds.Slack => SlackFormat.Render(message),
            DestinationKinds.Discord => DiscordFormat.Render(message),
            DestinationKinds.Teams => TeamsFormat.Render(message),
            DestinationKinds.Zapier => ZapierFormat.Render(message),
            _ => Envelope(message),
        };
        return new RenderedPayload(JsonSerializer.SerializeToUtf8Bytes(body), "application/json");
    }

    /// <summary>The stable envelope of custom webhooks: {source, type, title, body, data} plus id and time.</summary>
    public static JsonObject Envelope(Message m) => new()
    {
        ["source"] = Source,
        ["type"] = m.Type,
        ["title"] = m.Title,
        ["body"] = m.Body,
        ["data"] = m.Data.DeepClone(),
        ["id"] = m.EventId,
        ["occurred_at"] = m.OccurredAt.UtcDateTime.ToString("O"),
    };
}
