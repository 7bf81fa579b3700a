using System.Text.Json.Nodes;
using Herald.Connectors;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>Every rich payload Herald renders, checked against the platforms' limits and their own libraries.</summary>
public sealed class RichFormatTests
{
    private static readonly string Long = string.Concat(Enumerable.Repeat("Lorem ipsum dolor sit amet, 👍🏽 consectetur — ", 400));

    public static IReadOnlyList<Message> Corpus()
    {
        var now = DateTimeOffset.Parse("2026-11-23T10:00:00Z");
        var manyFields = new JsonObject();
        for (var i = 0; i < 40; i++) manyFields[$"field_{i}"] = Long[..(i * 37 % 1500)];
        return
        [
            new("evt_1", "promise.status_changed", "Promise kept", "The mayor kept the promise.", new JsonObject { ["status"] = "kept", ["url"] = "https://example.com/p/1" }, now, ["politics"]),
            new("evt_2", "promise.status_changed", "Promise broken", "<!channel> @everyone <@123>", new JsonObject { ["status"] = "broken" }, now, []),
            new("evt_3", "promise.status_changed", "In progress", "Still working", new JsonObject { ["status"] = "in_progress" }, now, []),
            new("evt_4", "billing.budget.alert", "Budget alert: 100% of monthly budget", "Project crossed 100%.", new JsonObject { ["threshold_pct"] = 100, ["cycle_spend_usd"] = 50.5 }, now, []),
            new("evt_5", "db.insert", Long, Long, manyFields, now, []),
            new("evt_6", "functions.error", "x", "", new JsonObject(), now, []),
            new("evt_7", "user.created", "Ünïcödé ✓ — 日本語", "Body with `code` *bold* _it_ ~strike~ |pipe|", new JsonObject { ["name"] = "Zoë", ["empty"] = "", ["nothing"] = null, ["nested"] = new JsonObject { ["a"] = 1 } }, now, []),
            new("evt_8", "storage.upload", "Link that is not https", "b", new JsonObject { ["url"] = "javascript:alert(1)" }, now, []),
        ];
    }

    [Fact]
    public void Slack_block_kit_stays_within_its_limits()
    {
        foreach (var message in Corpus())
        {
            var payload = SlackFormat.RenderRich(message);
            var blocks = payload["blocks"]!.AsArray();
            Assert.InRange(blocks.Count, 1, SlackFormat.MaxBlocks);
            Assert.True(payload["text"]!.GetValue<string>().Length <= SlackFormat.MaxText);
            foreach (var block in blocks.Select(b => b!.AsObject()))
            {
                switch (block["type"]!.GetValue<string>())
                {
                    case "header":
                        Assert.InRange(block["text"]!["text"]!.GetValue<string>().Length, 1, SlackFormat.MaxHeader);
                        Assert.Equal("plain_text", block["text"]!["type"]!.GetValue<string>());
                        break;
                    case "section" when block["fields"] is JsonArray fields:
                        Assert.InRange(fields.Count, 1, SlackFormat.MaxFields);
                        Assert.All(fields, f => Assert.True(f!["text"]!.GetValue<string>().Length <= SlackFormat.MaxFieldText));
                        break;
                    case "section":
                        Assert.InRange(block["text"]!["text"]!.GetValue<string>().Length, 1, SlackFormat.MaxSection);
                        break;
                    case "actions":
                        Assert.StartsWith("https://", block["elements"]![0]!["url"]!.GetValue<string>());
                        break;
                }
            }
            Assert.DoesNotContain("<!channel>", payload.ToJsonString(), StringComparison.Ordinal);
        }
        Assert.DoesNotContain(SlackFormat.RenderRich(Corpus()[7])["blocks"]!.AsArray(), b => b!["type"]!.GetValue<string>() == "actions");
    }

    [Fact]
    public async Task Teams_cards_parse_with_adaptivecards_and_discord_embeds_build_with_discord_js()
    {
        Interop.Require();
        var corpus = Corpus();
        var result = await Interop.CheckFormatsAsync(corpus.Select(m => (JsonNode)TeamsFormat.Render(m)), corpus.Select(m => (JsonNode)DiscordFormat.RenderRich(m)));
        var teams = result.GetProperty("teams").EnumerateArray().ToList();
        var discord = result.GetProperty("discord").EnumerateArray().ToList();
        for (var i = 0; i < corpus.Count; i++)
        {
            Assert.True(teams[i].GetArrayLength() == 0, $"Teams card for {corpus[i].EventId}: {teams[i]}");
            Assert.True(discord[i].GetArrayLength() == 0, $"Discord embed for {corpus[i].EventId}: {discord[i]}");
        }

        // The checkers do refuse bad payloads: an unknown card element, an over-long embed title.
        var bad = await Interop.CheckFormatsAsync(
            [JsonNode.Parse("""{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"Bogus"}]}}]}""")!],
            [new JsonObject { ["embeds"] = new JsonArray { new JsonObject { ["title"] = new string('x', 300) } }, ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() } }]);
        Assert.NotEqual(0, bad.GetProperty("teams")[0].GetArrayLength());
        Assert.NotEqual(0, bad.GetProperty("discord")[0].GetArrayLength());
    }

    [Fact]
    public void Discord_colour_follows_promise_status()
    {
        var corpus = Corpus();
        int Colour(int i) => DiscordFormat.RenderRich(corpus[i])["embeds"]![0]!["color"]!.GetValue<int>();
        Assert.Equal(MessageFacts.Green, Colour(0));
        Assert.Equal(MessageFacts.Red, Colour(1));
        Assert.Equal(MessageFacts.Amber, Colour(2));
        Assert.Equal(MessageFacts.Red, Colour(3)); // 100 % budget
    }
}
