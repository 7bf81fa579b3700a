using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>
/// Slack incoming webhooks. Simple: { "text": ... }. Rich: Block Kit (header, section, fields, context, a link button when
/// the event has a URL) with the text as fallback. Event text is escaped so it cannot make mentions or links.
/// </summary>
public static class SlackFormat
{
    public const int MaxText = 4000;
    public const int MaxHeader = 150;
    public const int MaxSection = 3000;
    public const int MaxFieldText = 2000;
    public const int MaxFields = 10;
    public const int MaxBlocks = 50;

    public static JsonObject Render(Message m) => new() { ["text"] = Text(m) };

    public static JsonObject RenderRich(Message m)
    {
        var blocks = new JsonArray
        {
            new JsonObject
            {
                ["type"] = "header",
                ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = TextLimits.Truncate(m.Title, MaxHeader), ["emoji"] = true },
            },
        };
        // Slack refuses empty text objects: an event without a body gets no body section.
        if (m.Body.Trim().Length > 0)
            blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = TextLimits.Truncate(Escape(m.Body), MaxSection) },
            });
        var fields = MessageFacts.Fields(m, MaxFields);
        if (fields.Count > 0)
            blocks.Add(new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject
                {
                    ["type"] = "mrkdwn",
                    ["text"] = TextLimits.Truncate($"*{Escape(f.Name)}*\n{Escape(f.Value)}", MaxFieldText),
                }).ToArray()),
            });
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray
            {
                new JsonObject { ["type"] = "mrkdwn", ["text"] = TextLimits.Truncate($"`{Escape(m.Type)}` · {m.OccurredAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC · Herald", MaxSection) },
            },
        });
        if (MessageFacts.Link(m) is { } link)
            blocks.Add(new JsonObject
            {
                ["type"] = "actions",
                ["elements"] = new JsonArray
                {
                    new JsonObject
                    {
                        ["type"] = "button",
                        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = "Open" },
                        ["url"] = link,
                    },
                },
            });
        return new JsonObject { ["text"] = Text(m), ["blocks"] = blocks };
    }

    public static string Text(Message m) => TextLimits.Truncate($"*{Escape(m.Title)}*\n{Escape(m.Body)}", MaxText);

    /// <summary>Slack's control characters: &amp; &lt; &gt; (so "&lt;!channel&gt;" or "&lt;http://x|y&gt;" stay literal text).</summary>
    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
