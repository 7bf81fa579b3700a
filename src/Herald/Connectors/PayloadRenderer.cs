using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Destinations;

namespace Herald.Connectors;

/// <summary>Renders a message into the shape each destination kind expects.</summary>
public static class PayloadRenderer
{
    public const string Source = "herald";

    /// <summary>Marketplace installs get the plain formats seed 000 shows; every other route the rich ones.</summary>
    public static RenderedPayload Render(string kind, string surface, Message message)
    {
        var simple = surface == "marketplace";
        JsonNode body = kind switch
        {
            DestinationKinds.Slack => simple ? SlackFormat.Render(message) : SlackFormat.RenderRich(message),
            DestinationKinds.Discord => simple ? DiscordFormat.Render(message) : DiscordFormat.RenderRich(message),
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
