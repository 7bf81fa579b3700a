using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>Slack incoming webhooks: { "text": ... } with event text escaped so it cannot make mentions or links.</summary>
public static class SlackFormat
{
    public const int MaxText = 4000;

    public static JsonObject Render(Message m) => new() { ["text"] = Text(m) };

    public static string Text(Message m) => TextLimits.Truncate($"*{Escape(m.Title)}*\n{Escape(m.Body)}", MaxText);

    /// <summary>Slack's control characters: &amp; &lt; &gt; (so "&lt;!channel&gt;" or "&lt;http://x|y&gt;" stay literal text).</summary>
    public static string Escape(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
