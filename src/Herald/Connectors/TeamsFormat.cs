using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Microsoft Teams Workflows: a message whose attachment is an Adaptive Card (schema 1.4).</summary>
public static class TeamsFormat
{
    public static JsonObject Render(Message m) => new()
    {
        ["type"] = "message",
        ["attachments"] = new JsonArray
        {
            new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = new JsonObject
                {
                    ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                    ["type"] = "AdaptiveCard",
                    ["version"] = "1.4",
                    ["body"] = new JsonArray
                    {
                        new JsonObject { ["type"] = "TextBlock", ["text"] = TextLimits.Truncate(m.Title, 256), ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
                        new JsonObject { ["type"] = "TextBlock", ["text"] = TextLimits.Truncate(m.Body, 4000), ["wrap"] = true },
                    },
                },
            },
        },
    };
}
