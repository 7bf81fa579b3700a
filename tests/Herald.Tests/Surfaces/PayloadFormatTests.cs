using System.Text.Json.Nodes;
using Herald.Connectors;

namespace Herald.Tests.Surfaces;

public sealed class PayloadFormatTests
{
    private static Message Event(string title, string body) =>
        new("evt_1", "db.insert", title, body, new JsonObject(), DateTimeOffset.UtcNow, []);

    [Fact]
    public void Slack_text_escapes_event_data_so_it_cannot_mention_or_link()
    {
        var text = SlackFormat.Render(Event("Alert <!channel>", "a & b <http://evil.example|click> <@U123>"))["text"]!.GetValue<string>();
        Assert.DoesNotContain("<!channel>", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<http", text, StringComparison.Ordinal);
        Assert.DoesNotContain("<@U123>", text, StringComparison.Ordinal);
        Assert.Contains("&lt;!channel&gt;", text);
        Assert.Contains("a &amp; b", text);
    }

    [Fact]
    public void Discord_content_neutralises_mentions_and_allows_none()
    {
        var payload = DiscordFormat.Render(Event("@everyone look", "ping @here and <@123> and <@&456>"));
        var content = payload["content"]!.GetValue<string>();
        Assert.DoesNotContain("@everyone", content, StringComparison.Ordinal);
        Assert.DoesNotContain("@here", content, StringComparison.Ordinal);
        Assert.DoesNotContain("<@123>", content, StringComparison.Ordinal);
        Assert.DoesNotContain("<@&456>", content, StringComparison.Ordinal);
        Assert.Empty(payload["allowed_mentions"]!["parse"]!.AsArray());
    }

    [Fact]
    public void Long_text_is_cut_cleanly_within_each_platform_limit()
    {
        var body = string.Concat(Enumerable.Repeat("word 👍🏽 ", 2000));
        var discord = DiscordFormat.Render(Event("t", body))["content"]!.GetValue<string>();
        Assert.True(discord.Length <= 2000, $"{discord.Length}");
        Assert.EndsWith("…", discord);
        Assert.False(char.IsHighSurrogate(discord[^2]), "a surrogate pair was split");
        var slack = SlackFormat.Render(Event("t", body))["text"]!.GetValue<string>();
        Assert.True(slack.Length <= SlackFormat.MaxText);
        Assert.EndsWith("…", slack);
    }
}
