using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>Seed 000 replayed request by request, shapes checked field by field, deliveries to loopback receivers.</summary>
public sealed class MarketplaceTests
{
    private static readonly string[] InstallationFields =
        ["id", "object", "listing_slug", "name", "status", "destination_host", "secret_fingerprint", "last_delivery_status", "last_delivery_at"];

    private static async Task<(HeraldFactory, TestReceiver)> StartAsync(string store)
    {
        var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com", "discord.com");
        settings["Herald:Delivery:Resolve:2"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        return (await HeraldFactory.CreateAsync(store, settings), receiver);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Every_request_of_the_marketplace_seed_works_as_written(string store)
    {
        var (herald, receiver) = await StartAsync(store);
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();

        // The catalog
        var listings = await admin.GetAsync("/v2/marketplace/listings").Json(HttpStatusCode.OK);
        var bySlug = listings.GetProperty("data").EnumerateArray().ToDictionary(l => l.Str("slug"));
        Assert.Equal("Alerting & notifications", bySlug["slack"].Str("category"));
        Assert.Equal("A hooks.slack.com incoming webhook", bySlug["slack"].Str("destination"));
        Assert.Equal("A discord.com channel webhook", bySlug["discord"].Str("destination"));
        Assert.Equal("Custom webhook", bySlug["custom-webhook"].Str("name"));
        Assert.Equal("Any HTTPS endpoint you control", bySlug["custom-webhook"].Str("destination"));
        Assert.Equal(["url"], bySlug["slack"].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));

        // Install a connector: the seed's body, as written
        var response = await admin.PostRaw("/v2/marketplace/installations", """
            {
              "listing_slug": "slack",
              "name": "ops channel",
              "url": "https://hooks.slack.com/services/T0/B0/XXXX"
            }
            """);
        var raw = await response.Content.ReadAsStringAsync();
        var slack = await response.Json(HttpStatusCode.Created);
        Assert.Equal(InstallationFields.Order(), slack.EnumerateObject().Select(p => p.Name).Order());
        Assert.Matches("^mki_[0-9a-f]{32}$", slack.Str("id"));
        Assert.Equal("marketplace_installation", slack.Str("object"));
        Assert.Equal("slack", slack.Str("listing_slug"));
        Assert.Equal("ops channel", slack.Str("name"));
        Assert.Equal("active", slack.Str("status"));
        Assert.Equal("hooks.slack.com", slack.Str("destination_host"));
        Assert.Matches("^mkfp_[0-9a-f]{12}$", slack.Str("secret_fingerprint"));
        Assert.Equal(JsonValueKind.Null, slack.GetProperty("last_delivery_status").ValueKind);
        Assert.DoesNotContain("XXXX", raw);
        Assert.DoesNotContain("/services/", raw);

        // Test it
        var test = await admin.PostAsync($"/v2/marketplace/installations/{slack.Str("id")}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("""{"ok":true,"status":"delivered_200"}""", test.GetRawText());
        var slackBody = JsonDocument.Parse((await receiver.WaitForAsync(1))[0].Body).RootElement;
        Assert.Equal(["text"], slackBody.EnumerateObject().Select(p => p.Name));

        // Manage
        var list = await admin.GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK);
        var listed = Assert.Single(list.GetProperty("data").EnumerateArray());
        Assert.Equal(slack.Str("id"), listed.Str("id"));
        Assert.DoesNotContain("XXXX", list.GetRawText());
        var one = await admin.GetAsync($"/v2/marketplace/installations/{slack.Str("id")}").Json(HttpStatusCode.OK);
        Assert.Equal("delivered_200", one.Str("last_delivery_status"));
        Assert.NotEqual(JsonValueKind.Null, one.GetProperty("last_delivery_at").ValueKind);

        var disabled = await admin.PatchRaw($"/v2/marketplace/installations/{slack.Str("id")}", """{ "status": "disabled" }""").Json(HttpStatusCode.OK);
        Assert.Equal("disabled", disabled.Str("status"));
        Assert.Equal(0, (await admin.PublishAsync("auth.signup", new { user = "u" })).GetProperty("deliveries").GetInt32()); // disabled: no delivery
        Assert.Equal("active", (await admin.PatchRaw($"/v2/marketplace/installations/{slack.Str("id")}", """{ "status": "active" }""").Json(HttpStatusCode.OK)).Str("status"));
        Assert.Equal(1, (await admin.PublishAsync("auth.signup", new { user = "u" })).GetProperty("deliveries").GetInt32()); // configuration kept
        await receiver.WaitForAsync(2);

        // Discord and custom webhook, each with its own payload
        var discord = await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "discord", url = "https://discord.com/api/webhooks/123/tok-EN" })
            .Json(HttpStatusCode.Created);
        Assert.Equal("discord.com", discord.Str("destination_host"));
        Assert.True((await admin.PostAsync($"/v2/marketplace/installations/{discord.Str("id")}/test", null).Json(HttpStatusCode.OK)).GetProperty("ok").GetBoolean());
        var discordBody = JsonDocument.Parse((await receiver.WaitForAsync(3))[2].Body).RootElement;
        Assert.True(discordBody.TryGetProperty("content", out _));
        Assert.Equal(0, discordBody.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength());

        var custom = await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "custom-webhook", name = "billing hook", url = $"https://receiver.test:{receiver.Port}/in" })
            .Json(HttpStatusCode.Created);
        Assert.Equal("custom-webhook", custom.Str("listing_slug"));
        Assert.True((await admin.PostAsync($"/v2/marketplace/installations/{custom.Str("id")}/test", null).Json(HttpStatusCode.OK)).GetProperty("ok").GetBoolean());
        var customRequest = (await receiver.WaitForAsync(4))[3];
        Assert.StartsWith("v1,", customRequest.Headers["webhook-signature"]);

        // Budget-threshold alerts reach every installed connector
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        await admin.PutAsync($"/v1/projects/{projectId}/budget", System.Net.Http.Json.JsonContent.Create(new { monthly_budget_usd = 50 })).Json(HttpStatusCode.OK);
        var usage = await admin.PostJson("/v1/usage", new { amount_usd = 41.2m }).Json(HttpStatusCode.Created);
        Assert.Equal([50, 80], usage.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var alerts = await receiver.WaitForAsync(10); // 2 alerts × 3 connectors
        var envelope = alerts.Skip(4).Where(r => r.PathAndQuery == "/in").Select(r => JsonDocument.Parse(r.Body).RootElement)
            .Single(e => e.GetProperty("data").GetProperty("threshold_pct").GetInt32() == 80);
        Assert.Equal("herald", envelope.Str("source"));
        Assert.Equal("billing.budget.alert", envelope.Str("type"));
        Assert.Equal("Budget alert: 80% of monthly budget", envelope.Str("title"));
        Assert.Equal("Project default crossed 80% of its monthly budget (cycle spend $41.20).", envelope.Str("body"));
        Assert.Equal(projectId, envelope.GetProperty("data").Str("project_id"));
        Assert.Equal(41.2m, envelope.GetProperty("data").GetProperty("cycle_spend_usd").GetDecimal());
        var slackAlert = alerts.Skip(4).Where(r => r.PathAndQuery.StartsWith("/services/")).Select(r => JsonDocument.Parse(r.Body).RootElement.Str("text")).ToList();
        Assert.Contains(slackAlert, t => t.Contains("Budget alert: 80% of monthly budget") && t.Contains("cycle spend $41.20"));

        // Uninstall
        var uninstall = await admin.DeleteAsync($"/v2/marketplace/installations/{slack.Str("id")}");
        Assert.True(uninstall.StatusCode == HttpStatusCode.NoContent, string.Join("\n", herald.Logs.Lines.Where(l => l.StartsWith("Error"))));
        await admin.GetAsync($"/v2/marketplace/installations/{slack.Str("id")}").Problem(HttpStatusCode.NotFound, "not_found");
        Assert.DoesNotContain("XXXX", herald.Logs.All);
    }

    public static TheoryData<string, HttpStatusCode, string, string?> BadInstalls => new()
    {
        { """{"listing_slug":"myspace","url":"https://hooks.slack.com/services/T0/B0/XXXX"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "listing_slug" },
        { """{"url":"https://hooks.slack.com/services/T0/B0/XXXX"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "listing_slug" },
        { """{"listing_slug":"slack"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "url" },
        { """{"listing_slug":"slack","url":"not a url"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "url" },
        { """{"listing_slug":"slack","url":"https://evil.example.com/services/T0/B0/XXXX"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "url" },
        { """{"listing_slug":"discord","url":"https://hooks.slack.com/services/T0/B0/XXXX"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "url" },
        { """{"listing_slug":"custom-webhook","url":"https://169.254.169.254/latest"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "url" },
        { """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T0/B0/XXXX","events":["not valid!"]}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "events[0]" },
        { """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T0/B0/XXXX","filters":{"categories":["a b"]}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "filters.categories[0]" },
        { """{"listing_slug":"slack","url":42}""", HttpStatusCode.BadRequest, "invalid_type", "url" },
        { """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T0/B0/XXXX","secret_token":"x"}""", HttpStatusCode.BadRequest, "unknown_field", "secret_token" },
    };

    [Theory, MemberData(nameof(BadInstalls))]
    public async Task Bad_installs_are_refused_naming_the_field_and_store_nothing(string body, HttpStatusCode status, string code, string? field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var problem = await herald.Admin().PostRaw("/v2/marketplace/installations", body).Problem(status, code, field);
        Assert.DoesNotContain("XXXX", problem.GetRawText());
        Assert.Equal(0, (await herald.Admin().GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Members_free_plans_bad_status_and_unknown_ids_are_refused(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var admin = herald.Admin();
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{projectId}/keys", new { name = "m", role = "member" })
            .Json(HttpStatusCode.Created)).Str("key"));
        var body = new { listing_slug = "slack", url = "https://hooks.slack.com/services/T0/B0/XXXX" };

        await member.PostJson("/v2/marketplace/installations", body).Problem(HttpStatusCode.Forbidden, "forbidden");
        var installed = await admin.PostJson("/v2/marketplace/installations", body).Json(HttpStatusCode.Created);
        var id = installed.Str("id");
        await member.GetAsync($"/v2/marketplace/installations/{id}").Json(HttpStatusCode.OK); // members read
        await member.PatchRaw($"/v2/marketplace/installations/{id}", """{"status":"disabled"}""").Problem(HttpStatusCode.Forbidden, "forbidden");
        await (await member.DeleteAsync($"/v2/marketplace/installations/{id}")).Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.PostAsync($"/v2/marketplace/installations/{id}/test", null).Problem(HttpStatusCode.Forbidden, "forbidden");

        await admin.PatchRaw($"/v2/marketplace/installations/{id}", """{"status":"paused"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "status");
        await admin.PatchRaw($"/v2/marketplace/installations/{id}", """{"status":1}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "status");
        await admin.PatchRaw($"/v2/marketplace/installations/{id}", """{}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "status");
        Assert.Equal("active", (await admin.GetAsync($"/v2/marketplace/installations/{id}").Json(HttpStatusCode.OK)).Str("status"));

        await admin.GetAsync("/v2/marketplace/installations/mki_00000000000000000000000000000000").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.GetAsync("/v2/marketplace/installations/nonsense").Problem(HttpStatusCode.NotFound, "not_found");
        await admin.PostAsync("/v2/marketplace/installations/mki_00000000000000000000000000000000/test", null).Problem(HttpStatusCode.NotFound, "not_found");
        await (await admin.DeleteAsync("/v2/marketplace/installations/mki_x")).Problem(HttpStatusCode.NotFound, "not_found");

        // Another project's admin sees none of it.
        var other = (await herald.Operator().PostJson("/v1/projects", new { name = "other", plan = "free" }).Json(HttpStatusCode.Created)).Str("id");
        var otherAdmin = herald.ClientWithKey((await herald.Operator().PostJson($"/v1/projects/{other}/keys", new { name = "a", role = "admin" })
            .Json(HttpStatusCode.Created)).Str("key"));
        await otherAdmin.GetAsync($"/v2/marketplace/installations/{id}").Problem(HttpStatusCode.NotFound, "not_found");
        await (await otherAdmin.DeleteAsync($"/v2/marketplace/installations/{id}")).Problem(HttpStatusCode.NotFound, "not_found");

        // A free project cannot install at all.
        var limit = await otherAdmin.PostJson("/v2/marketplace/installations", body).Problem(HttpStatusCode.Forbidden, "plan_limit_reached");
        Assert.Contains("free", limit.Str("detail"));
        Assert.Equal(0, (await otherAdmin.GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Plan_limits_hold_when_installs_race(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var project = (await herald.Operator().PostJson("/v1/projects", new { name = "pro", plan = "pro" }).Json(HttpStatusCode.Created)).Str("id");
        var admin = herald.ClientWithKey((await herald.Operator().PostJson($"/v1/projects/{project}/keys", new { name = "a", role = "admin" })
            .Json(HttpStatusCode.Created)).Str("key"));
        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            admin.PostJson("/v2/marketplace/installations", new { listing_slug = "slack", url = $"https://hooks.slack.com/services/T0/B0/X{i}" })));
        Assert.Equal(5, results.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.Equal(7, results.Count(r => r.StatusCode == HttpStatusCode.Forbidden));
    }
}
