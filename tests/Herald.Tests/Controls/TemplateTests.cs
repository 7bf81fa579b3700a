using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Connectors;
using Herald.Controls;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Controls;

/// <summary>The template control: parse errors at create/update, escaping per chat platform, sandbox limits, template_error, preview.</summary>
public sealed class TemplateTests
{
    private const string Hostile = "<!channel> @everyone <@123> [click](https://evil.example/x) <https://evil.example|here> **bold**";

    private static async Task<(HeraldFactory Herald, Microsoft.Extensions.Time.Testing.FakeTimeProvider Time)> StartAsync(string store, TestReceiver receiver)
    {
        var extra = new Dictionary<string, string?>
        {
            ["Herald:Delivery:Resolve:1"] = $"hooks.slack.com:443=127.0.0.1:{receiver.Port}",
            ["Herald:Delivery:Resolve:2"] = $"discord.com:443=127.0.0.1:{receiver.Port}",
            ["Herald:Delivery:Resolve:3"] = $"prod-01.westus.logic.azure.com:443=127.0.0.1:{receiver.Port}",
        };
        return await RetryAndTimeoutTests.StartAsync(store, receiver, extra);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_template_that_does_not_parse_is_refused_with_its_line_and_column_and_nothing_changes(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        var url = RetryAndTimeoutTests.Url(receiver, "/x");

        var problem = await admin.PostJson("/v1/destinations", new { kind = "webhook", url, template = "{\"a\": 1}\n{% if event.type %}x" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "template");
        Assert.Matches(@"line \d+, column \d+", problem.Str("detail"));
        problem = await admin.PostJson("/v1/destinations", new { kind = "slack", url = "https://hooks.slack.com/services/T0/B0/X", template = "Hi {{ event.type " })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "template");
        Assert.Contains("line 1, column", problem.Str("detail"));
        await admin.PostJson("/v1/destinations", new { kind = "zapier", url = "https://hooks.zapier.com/hooks/catch/1/abc/", template = "x" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "template");
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        var id = await admin.CreateDestinationAsync(new { kind = "slack", url = "https://hooks.slack.com/services/T0/B0/X", template = "{{ event.type }}!" });
        Assert.Equal("{{ event.type }}!", (await admin.DestinationAsync(id)).Str("template"));
        problem = await admin.PatchRaw($"/v1/destinations/{id}", """{"template":"ok\n\n  {% for x in %}"}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "template");
        Assert.Matches(@"line 3, column \d+", problem.Str("detail"));
        Assert.Equal("{{ event.type }}!", (await admin.DestinationAsync(id)).Str("template"));
        await admin.PatchRaw($"/v1/destinations/{id}", """{"template":null}""").Json(HttpStatusCode.OK);
        Assert.False((await admin.DestinationAsync(id)).TryGetProperty("template", out _));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Chat_templates_escape_event_data_so_it_cannot_mention_or_link_and_preview_is_what_is_sent(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        const string template = "*{{ event.type }}* in {{ project.name }} / {{ destination.name }}: {{ event.data.msg }} {{ event.data.msg | raw }} {{ event.data | json }}";
        var slack = await admin.CreateDestinationAsync(new { kind = "slack", name = "ops", url = "https://hooks.slack.com/services/T0/B0/X", template });
        var discord = await admin.CreateDestinationAsync(new { kind = "discord", url = "https://discord.com/api/webhooks/1/abc", template });
        var teams = await admin.CreateDestinationAsync(new { kind = "teams", url = "https://prod-01.westus.logic.azure.com/workflows/abc", template });

        var e = await admin.PublishAsync("db.insert", new { msg = Hostile });
        var received = await receiver.WaitForAsync(3);
        string Body(string path) => received.Single(r => r.PathAndQuery.StartsWith(path, StringComparison.Ordinal)).Body;
        var previewEvent = new { @event = new { id = e.Str("id"), type = "db.insert", data = new { msg = Hostile }, occurred_at = (await admin.EventAsync(e.Str("id"))).Str("occurred_at") } };

        var slackText = JsonNode.Parse(Body("/services"))!["text"]!.GetValue<string>();
        Assert.StartsWith("*db.insert* in ", slackText); // the template's own markup stays
        Assert.Contains("/ ops: ", slackText);
        Assert.DoesNotContain("<!channel>", slackText, StringComparison.Ordinal); // ordinal: a culture comparison ignores the zero-width space
        Assert.DoesNotContain("<https://", slackText, StringComparison.Ordinal);
        Assert.DoesNotContain("<@", slackText, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", slackText, StringComparison.Ordinal);

        var discordBody = JsonNode.Parse(Body("/api/webhooks"))!;
        var content = discordBody["content"]!.GetValue<string>();
        Assert.DoesNotContain("@everyone", content, StringComparison.Ordinal);
        Assert.DoesNotContain("<@123>", content, StringComparison.Ordinal);
        Assert.DoesNotContain("](https://", content, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", content, StringComparison.Ordinal);
        Assert.Equal(0, discordBody["allowed_mentions"]!["parse"]!.AsArray().Count);

        var teamsText = JsonNode.Parse(Body("/workflows"))!["attachments"]![0]!["content"]!["body"]![0]!["text"]!.GetValue<string>();
        Assert.DoesNotContain("[click](", teamsText, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", teamsText, StringComparison.Ordinal);
        Assert.StartsWith("*db.insert*", teamsText);

        foreach (var (id, path) in new[] { (slack, "/services"), (discord, "/api/webhooks"), (teams, "/workflows") })
        {
            var preview = await admin.PostJson($"/v1/destinations/{id}/preview", previewEvent).Json(HttpStatusCode.OK);
            Assert.Equal("application/json", preview.Str("content_type"));
            Assert.Equal(Body(path), preview.Str("body"));
            Assert.True(preview.GetProperty("templated").GetBoolean());
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_json_body_template_is_sent_as_rendered_and_equals_its_preview(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, _) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        const string template = """{"kind": "{{ event.type }}", "note": "{{ event.data.note }}", "amount": {{ event.data.amount }}, "data": {{ event.data | json }}, "tags": {{ event.categories | json }}}""";
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/hook"), template });
        var data = new { note = "say \"hi\"\\ \n<b>", amount = 12.5, nested = new { ok = true } };
        var e = await admin.PublishAsync("db.insert", data, new { categories = new[] { "billing" } });
        var body = (await receiver.WaitForAsync(1))[0];
        var sent = JsonNode.Parse(body.Body)!;
        Assert.Equal("db.insert", sent["kind"]!.GetValue<string>());
        Assert.Equal("say \"hi\"\\ \n<b>", sent["note"]!.GetValue<string>());
        Assert.Equal(12.5m, sent["amount"]!.GetValue<decimal>());
        Assert.True(sent["data"]!["nested"]!["ok"]!.GetValue<bool>());
        Assert.Equal("billing", sent["tags"]![0]!.GetValue<string>());
        Assert.StartsWith("application/json", body.Headers.First(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value);

        var stored = await admin.EventAsync(e.Str("id"));
        var preview = await admin.PostJson($"/v1/destinations/{id}/preview", new
        {
            @event = new { id = e.Str("id"), type = "db.insert", data, categories = new[] { "billing" }, occurred_at = stored.Str("occurred_at") },
        }).Json(HttpStatusCode.OK);
        Assert.Equal(body.Body, preview.Str("body"));
        Assert.Equal("application/json", preview.Str("content_type"));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_render_error_is_a_final_template_error_after_exactly_one_attempt(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var (herald, time) = await StartAsync(store, receiver);
        await using var _h = herald;
        var admin = herald.Admin();
        // Parses, but renders a body that is not JSON.
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = RetryAndTimeoutTests.Url(receiver, "/hook"), template = "type={{ event.type }}" });
        var e = (await admin.PublishAsync("db.insert", new { a = 1 })).Str("id");
        var deliveryId = (await admin.DeliveryOfAsync(e, id)).Str("id");
        JsonElement delivery = default;
        await Eventually.TrueAsync(async () => (delivery = await admin.DeliveryAsync(deliveryId)).Str("status") == "failed", "the delivery failed");
        time.Advance(TimeSpan.FromHours(1)); // the schedule (5s,5m,30m) would have tried again by now
        await Task.Delay(300); // a few poll intervals (50 ms): a retry, if any, would be claimed
        delivery = await admin.DeliveryAsync(deliveryId);
        Assert.Equal("failed", delivery.Str("status"));
        Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
        var attempt = delivery.GetProperty("attempt_list")[0];
        Assert.Equal("template_error", attempt.Str("outcome"));
        Assert.Contains("not JSON", attempt.Str("response_body"));
        Assert.Empty(receiver.Received);

        await admin.PostJson($"/v1/destinations/{id}/preview", new { @event = new { type = "db.insert", data = new { a = 1 } } })
            .Problem(HttpStatusCode.UnprocessableEntity, "template_error", "template");
    }

    private static Message Sample(JsonObject? data = null) =>
        new("evt_1", "order.paid", "Title", "Body", data ?? new JsonObject { ["n"] = 1 }, DateTimeOffset.UnixEpoch, ["a"]);

    [Theory]
    [InlineData("{% for i in (1..1000000000) %}{% endfor %}", "range")]
    [InlineData("{% for i in (1..9000) %}{% for j in (1..9000) %}{{ j }}{% endfor %}{% endfor %}", "steps")]
    [InlineData("{% assign n = 1000000000 %}{% for i in (1..n) %}{% endfor %}", "range")]
    [InlineData("{% for i in (1..3000) %}0123456789012345678901234567890123456789{% endfor %}", "KiB")]
    [InlineData("{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}", "KiB")]
    [InlineData("{% assign s = 'xxxxxxxxxxxxxxxx' %}{% for i in (1..40) %}{% capture s %}{{ s }}{{ s }}{% endcapture %}{% endfor %}{{ s }}", "KiB")]
    public void Runaway_templates_are_stopped_quickly(string source, string reason)
    {
        var (template, error) = MessageTemplate.Parse(source);
        if (template is null)
        {
            Assert.NotNull(error); // not Liquid at all ("while" is no Liquid tag): refused at create
            return;
        }
        var clock = Stopwatch.StartNew();
        var (payload, renderError) = template.Render(TemplateTarget.Slack, Sample(), "p", "d");
        clock.Stop();
        Assert.Null(payload);
        Assert.Contains(reason, renderError);
        Assert.InRange(clock.ElapsedMilliseconds, 0, 2000); // generous for a shared machine; measured well under 50 ms alone
    }

    [Fact]
    public void Templates_reach_no_clr_member_nor_file()
    {
        foreach (var source in new[] { "{% include 'secrets' %}", "{% render '/etc/passwd' %}" })
        {
            var (template, error) = MessageTemplate.Parse(source);
            if (template is null) { Assert.NotNull(error); continue; }
            var (payload, renderError) = template.Render(TemplateTarget.Slack, Sample(), "p", "d");
            Assert.True(payload is null || !JsonNode.Parse(payload.Body)!["text"]!.GetValue<string>().Contains("root:"), renderError);
        }
        // Members of the CLR values behind the variables are not reachable: only the dictionaries' keys.
        var (t, _) = MessageTemplate.Parse("[{{ event.type.Length }}][{{ event.GetType }}][{{ event.data.Count }}][{{ project.name.Length }}]");
        var (p, e) = t!.Render(TemplateTarget.JsonBody, Sample(), "proj", "d");
        Assert.Null(p); // not JSON, so a template_error; the text itself:
        Assert.Contains("not JSON", e);
        var (t2, _) = MessageTemplate.Parse("\"{{ event.type.Length }}{{ event.GetType }}{{ event.data.Count }}{{ project.name.Length }}\"");
        var (p2, _) = t2!.Render(TemplateTarget.JsonBody, Sample(), "proj", "d");
        Assert.Equal("\"\"", System.Text.Encoding.UTF8.GetString(p2!.Body));
    }

    [Fact]
    public void Chat_limits_hold_for_template_output()
    {
        var (t, _) = MessageTemplate.Parse("{% for i in (1..200) %}{{ event.data.s }}{% endfor %}");
        var data = new JsonObject { ["s"] = new string('a', 100) };
        var slack = JsonNode.Parse(t!.Render(TemplateTarget.Slack, Sample(data), "p", "d").Payload!.Body)!["text"]!.GetValue<string>();
        Assert.InRange(slack.Length, 1, SlackFormat.MaxText);
        var discord = JsonNode.Parse(t.Render(TemplateTarget.Discord, Sample(data), "p", "d").Payload!.Body)!["content"]!.GetValue<string>();
        Assert.InRange(discord.Length, 1, DiscordFormat.MaxContent);
    }
}
