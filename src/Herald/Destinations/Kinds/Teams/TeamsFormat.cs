using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Microsoft Teams Workflows: a message whose attachment is an Adaptive Card (schema 1.4) with title, body, facts and a link.</summary>
public static class TeamsFormat
{
    public static JsonObject Render(Message m)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = TextLimits.Truncate(m.Title, 256), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
            new JsonObject { ["type"] = "TextBlock", ["text"] = TextLimits.Truncate(m.Body, 4000), ["wrap"] = true },
        };
        var facts = MessageFacts.Fields(m, 10);
        if (facts.Count > 0)
            body.Add(new JsonObject
            {
                ["type"] = "FactSet",
                ["facts"] = new JsonArray(facts.Select(f => (JsonNode)new JsonObject
                {
                    ["title"] = TextLimits.Truncate(f.Name, 100),
                    ["value"] = TextLimits.Truncate(f.Value, 1000),
                }).ToArray()),
            });
        body.Add(new JsonObject
        {
            ["type"] = "TextBlock",
            ["text"] = $"{m.Type} · {m.OccurredAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC",
            ["isSubtle"] = true,
            ["size"] = "Small",
            ["wrap"] = true,
        });

        var card = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["body"] = body,
        };
        if (MessageFacts.Link(m) is { } link)
            card["actions"] = new JsonArray { new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open", ["url"] = link } };

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["contentUrl"] = null, ["content"] = card },
            },
        };
    }
}
