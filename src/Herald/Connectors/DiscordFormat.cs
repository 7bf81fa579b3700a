using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Discord webhooks: { "content": ..., "allowed_mentions": { "parse": [] } }, mentions neutralised, 2,000 characters at most.</summary>
public static class DiscordFormat
{
    public const int MaxContent = 2000;

    public static JsonObject Render(Message m) => new()
    {
        ["content"] = TextLimits.Truncate($"**{Escape(m.Title)}**\n{Escape(m.Body)}", MaxContent),
        ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
    };

    /// <summary>Breaks @everyone/@here and user/role/channel mentions with a zero-width space, and escapes markdown markers.</summary>
    public static string Escape(string text) => text
        .Replace("\\", "\\\\").Replace("*", "\\*").Replace("_", "\\_").Replace("~", "\\~").Replace("`", "\\`").Replace("|", "\\|")
        .Replace("@", "@\u200b").Replace("<", "<\u200b");
}
