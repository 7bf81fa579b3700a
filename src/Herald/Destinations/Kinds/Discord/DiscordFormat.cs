using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>
/// Discord webhooks, mentions neutralised and allowed_mentions empty. Simple: { "content": ... } (2,000 characters).
/// Rich: one embed with a colour by status, fields and a timestamp, within Discord's limits (title 256, description
/// 4,096, 25 fields of 256/1,024, footer 2,048, 6,000 characters in all).
/// </summary>
public static class DiscordFormat
{
    public const int MaxContent = 2000;
    public const int MaxTitle = 256;
    public const int MaxDescription = 4096;
    public const int MaxFields = 25;
    public const int MaxFieldName = 256;
    public const int MaxFieldValue = 1024;
    public const int MaxTotal = 6000;

    public static JsonObject Render(Message m) => new()
    {
        ["content"] = TextLimits.Truncate($"**{Escape(m.Title)}**\n{Escape(m.Body)}", MaxContent),
        ["allowed_mentions"] = NoMentions(),
    };

    public static JsonObject RenderRich(Message m)
    {
        var title = TextLimits.Truncate(Escape(m.Title), MaxTitle);
        var footer = TextLimits.Truncate($"{m.Type} · Herald", 256);
        var budget = MaxTotal - title.Length - footer.Length;
        var description = TextLimits.Truncate(Escape(m.Body), Math.Min(MaxDescription, budget));
        budget -= description.Length;

        var fields = new JsonArray();
        foreach (var (name, value) in MessageFacts.Fields(m, MaxFields))
        {
            var fieldName = TextLimits.Truncate(Escape(name), MaxFieldName);
            var fieldValue = TextLimits.Truncate(Escape(value.Length == 0 ? "—" : value), MaxFieldValue);
            if (fieldName.Length + fieldValue.Length > budget) break;
            budget -= fieldName.Length + fieldValue.Length;
            fields.Add(new JsonObject { ["name"] = fieldName, ["value"] = fieldValue, ["inline"] = true });
        }

        var embed = new JsonObject
        {
            ["color"] = MessageFacts.Colour(m),
            ["timestamp"] = m.OccurredAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            ["footer"] = new JsonObject { ["text"] = footer },
        };
        // Discord refuses empty strings: leave such parts out.
        if (title.Length > 0) embed["title"] = title;
        if (description.Length > 0) embed["description"] = description;
        if (fields.Count > 0) embed["fields"] = fields;
        if (MessageFacts.Link(m) is { } link) embed["url"] = link;
        return new JsonObject { ["embeds"] = new JsonArray { embed }, ["allowed_mentions"] = NoMentions() };
    }

    private static JsonObject NoMentions() => new() { ["parse"] = new JsonArray() };

    /// <summary>Breaks @everyone/@here and user/role/channel mentions with a zero-width space, and escapes markdown markers.</summary>
    public static string Escape(string text) => text
        .Replace("\\", "\\\\").Replace("*", "\\*").Replace("_", "\\_").Replace("~", "\\~").Replace("`", "\\`").Replace("|", "\\|")
        .Replace("@", "@\u200b").Replace("<", "<\u200b");
}
