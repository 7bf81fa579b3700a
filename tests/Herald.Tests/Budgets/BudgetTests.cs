using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Budgets;

public sealed class BudgetTests
{
    private static async Task<(HeraldFactory Herald, string ProjectId)> StartAsync(string store, decimal budget)
    {
        var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" });
        var projectId = (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        await herald.Admin().PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { monthly_budget_usd = budget })).Json(HttpStatusCode.OK);
        return (herald, projectId);
    }

    private static async Task<List<int>> AlertThresholds(HttpClient client) =>
        (await client.GetAsync("/v1/events?type=billing.budget.alert&limit=200").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
        .Select(e => e.GetProperty("data").GetProperty("threshold_pct").GetInt32()).Order().ToList();

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_report_that_jumps_several_thresholds_alerts_each_once(string store)
    {
        var (herald, projectId) = await StartAsync(store, 100m);
        await using var _h = herald;
        var admin = herald.Admin();
        var first = await admin.PostJson("/v1/usage", new { amount_usd = 85 }).Json(HttpStatusCode.Created);
        Assert.Equal([50, 80], first.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        Assert.Equal(85m, first.GetProperty("cycle_spend_usd").GetDecimal());
        var second = await admin.PostJson("/v1/usage", new { amount_usd = 20 }).Json(HttpStatusCode.Created);
        Assert.Equal([100], second.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var third = await admin.PostJson("/v1/usage", new { amount_usd = 5 }).Json(HttpStatusCode.Created);
        Assert.Equal(0, third.GetProperty("alerts_triggered").GetArrayLength());
        Assert.Equal([50, 80, 100], await AlertThresholds(admin));

        var budget = await admin.GetAsync($"/v1/projects/{projectId}/budget").Json(HttpStatusCode.OK);
        Assert.Equal(110m, budget.GetProperty("cycle_spend_usd").GetDecimal());
        Assert.Equal(110.0m, budget.GetProperty("percent_used").GetDecimal());
        Assert.All(budget.GetProperty("thresholds").EnumerateArray(), t =>
        {
            Assert.True(t.GetProperty("crossed").GetBoolean());
            Assert.StartsWith("evt_", t.Str("event_id"));
        });
        var alert = (await admin.GetAsync("/v1/events?type=billing.budget.alert").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .Single(e => e.GetProperty("data").GetProperty("threshold_pct").GetInt32() == 80);
        Assert.Equal("Budget alert: 80% of monthly budget", alert.Str("title"));
        Assert.Equal("Project default crossed 80% of its monthly budget (cycle spend $85.00).", alert.Str("body"));
        Assert.Equal(85m, alert.GetProperty("data").GetProperty("cycle_spend_usd").GetDecimal());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Racing_reports_alert_once_per_threshold_and_lose_no_spend(string store)
    {
        var (herald, projectId) = await StartAsync(store, 100m);
        await using var _h = herald;
        var admin = herald.Admin();
        var reports = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => admin.PostJson("/v1/usage", new { amount_usd = 5 })));
        Assert.All(reports, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        Assert.Equal([50, 80, 100], await AlertThresholds(admin));
        Assert.Equal(200m, (await admin.GetAsync($"/v1/projects/{projectId}/budget").Json(HttpStatusCode.OK)).GetProperty("cycle_spend_usd").GetDecimal());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_repeated_idempotency_key_counts_once(string store)
    {
        var (herald, projectId) = await StartAsync(store, 100m);
        await using var _h = herald;
        var admin = herald.Admin();
        async Task<HttpResponseMessage> Report()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/usage") { Content = JsonContent.Create(new { amount_usd = 30, occurred_at = DateTimeOffset.UtcNow }) };
            request.Headers.Add("Idempotency-Key", "invoice-7");
            return await admin.SendAsync(request);
        }
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Report()));
        var ids = new List<string>();
        foreach (var r in results) ids.Add((await r.Json(HttpStatusCode.Created)).Str("id"));
        Assert.Single(ids.Distinct());
        Assert.Equal(5, results.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal(30m, (await admin.GetAsync($"/v1/projects/{projectId}/budget").Json(HttpStatusCode.OK)).GetProperty("cycle_spend_usd").GetDecimal());
    }

    [Fact]
    public async Task A_report_never_waits_on_or_fails_because_of_a_dead_destination()
    {
        var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new()
        {
            ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Herald:Delivery:Resolve:0"] = $"hooks.slack.com:443=127.0.0.1:{HeraldProcess.FreePort()}",
        });
        await using var _h = herald;
        var admin = herald.Admin();
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "slack", url = "https://hooks.slack.com/services/T0/B0/XXXX" }).Json(HttpStatusCode.Created);
        await admin.PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { monthly_budget_usd = 10 })).Json(HttpStatusCode.OK);
        var report = await admin.PostJson("/v1/usage", new { amount_usd = 9 }).Json(HttpStatusCode.Created);
        Assert.Equal([50, 80], report.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var alert = (await admin.GetAsync("/v1/events?type=billing.budget.alert").Json(HttpStatusCode.OK)).GetProperty("data")[0];
        await Eventually.TrueAsync(async () => (await admin.EventAsync(alert.Str("id"))).GetProperty("delivery_list")[0].Str("last_outcome") == "connect_error",
            "the alert's delivery failed with connect_error, on its own");
    }

    public static TheoryData<string, HttpStatusCode, string, string> BadReports => new()
    {
        { """{"amount_usd":0}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "amount_usd" },
        { """{"amount_usd":-3}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "amount_usd" },
        { """{"amount_usd":1.0000001}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "amount_usd" },
        { """{}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "amount_usd" },
        { """{"amount_usd":"ten"}""", HttpStatusCode.BadRequest, "invalid_type", "amount_usd" },
        { """{"amount_usd":1,"occurred_at":"soon"}""", HttpStatusCode.BadRequest, "invalid_type", "occurred_at" },
        { """{"amount_usd":1,"currency":"EUR"}""", HttpStatusCode.BadRequest, "unknown_field", "currency" },
    };

    [Theory, MemberData(nameof(BadReports))]
    public async Task Bad_usage_reports_and_budgets_are_refused_and_change_nothing(string body, HttpStatusCode status, string code, string field)
    {
        var (herald, projectId) = await StartAsync(Stores.Sqlite, 100m);
        await using var _h = herald;
        await herald.Admin().PostRaw("/v1/usage", body).Problem(status, code, field);
        await herald.Admin().PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { monthly_budget_usd = -1 }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "monthly_budget_usd");
        await herald.Admin().PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "monthly_budget_usd");
        var budget = await herald.Admin().GetAsync($"/v1/projects/{projectId}/budget").Json(HttpStatusCode.OK);
        Assert.Equal(0m, budget.GetProperty("cycle_spend_usd").GetDecimal());
        Assert.Equal(100m, budget.GetProperty("monthly_budget_usd").GetDecimal());
        await herald.Operator().PostJson("/v1/usage", new { amount_usd = 1 }).Problem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Crossed_follows_the_current_budget_and_alerted_keeps_what_was_sent(string store)
    {
        var (herald, projectId) = await StartAsync(store, 50m);
        await using var _h = herald;
        var admin = herald.Admin();
        Assert.Equal([50, 80, 100], (await admin.PostJson("/v1/usage", new { amount_usd = 51.20m }).Json(HttpStatusCode.Created))
            .GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var raised = await admin.PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { monthly_budget_usd = 80 })).Json(HttpStatusCode.OK);
        Assert.Equal(64.0m, raised.GetProperty("percent_used").GetDecimal());
        foreach (var budget in new[] { raised, await admin.GetAsync($"/v1/projects/{projectId}/budget").Json(HttpStatusCode.OK) })
        {
            var thresholds = budget.GetProperty("thresholds").EnumerateArray().ToDictionary(t => t.GetProperty("threshold_pct").GetInt32());
            Assert.True(thresholds[50].GetProperty("crossed").GetBoolean());
            Assert.False(thresholds[80].GetProperty("crossed").GetBoolean());
            Assert.False(thresholds[100].GetProperty("crossed").GetBoolean());
            Assert.All(thresholds.Values, t =>
            {
                Assert.True(t.GetProperty("alerted").GetBoolean());
                Assert.StartsWith("evt_", t.Str("event_id"));
            });
        }

        // The console page says the same.
        var console = herald.CreateClient();
        var login = await console.GetStringAsync("/console/login");
        var token = System.Text.RegularExpressions.Regex.Match(login, "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.NotEmpty(token);
        (await console.PostAsync("/console/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = HeraldFactory.AdminKey, ["__RequestVerificationToken"] = token,
        }))).EnsureSuccessStatusCode();
        var page = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(await console.GetStringAsync("/console/budget"), "<[^>]+>", ""));
        Assert.Contains("Crossed: 50%.", page);
        Assert.Contains("Alerts sent this month: 50%, 80%, 100%.", page);
        Assert.DoesNotContain("Crossed: 50%, 80%", page);

        // No budget: nothing is crossed, what was sent stays alerted.
        var removed = await admin.PutAsync($"/v1/projects/{projectId}/budget", JsonContent.Create(new { monthly_budget_usd = (decimal?)null })).Json(HttpStatusCode.OK);
        Assert.All(removed.GetProperty("thresholds").EnumerateArray(), t =>
        {
            Assert.False(t.GetProperty("crossed").GetBoolean());
            Assert.True(t.GetProperty("alerted").GetBoolean());
        });
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_replayed_report_answers_exactly_what_the_first_answered(string store)
    {
        var (herald, _) = await StartAsync(store, 50m);
        await using var _h = herald;
        var admin = herald.Admin();
        async Task<(HttpStatusCode Status, string Body, bool Replayed)> Report(string key, decimal amount)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/usage") { Content = JsonContent.Create(new { amount_usd = amount }) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await admin.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
        }

        var first = await Report("invoice-1", 41.20m);
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal([50, 80], System.Text.Json.JsonDocument.Parse(first.Body).RootElement.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var other = await Report("invoice-2", 10m); // another report after it: crosses 100 %
        Assert.Equal([100], System.Text.Json.JsonDocument.Parse(other.Body).RootElement.GetProperty("alerts_triggered").EnumerateArray().Select(a => a.GetInt32()));
        var none = await Report("invoice-3", 1m);

        foreach (var (key, original) in new[] { ("invoice-1", first), ("invoice-2", other), ("invoice-3", none) })
        {
            var replay = await Report(key, key == "invoice-1" ? 41.20m : key == "invoice-2" ? 10m : 1m);
            Assert.Equal(original.Status, replay.Status);
            Assert.Equal(original.Body, replay.Body);
            Assert.True(replay.Replayed);
        }

        // The same key with another amount is a different report: refused, and the spend is unchanged.
        var reused = await Report("invoice-1", 99m);
        Assert.Equal(HttpStatusCode.Conflict, reused.Status);
        var problem = System.Text.Json.JsonDocument.Parse(reused.Body).RootElement;
        Assert.Equal("idempotency_key_reused", problem.GetProperty("code").GetString());
        Assert.Equal("Idempotency-Key", problem.GetProperty("field").GetString());
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).GetProperty("project_id").GetString();
        Assert.Equal(52.20m, (await admin.GetAsync($"/v1/projects/{project}/budget").Json(HttpStatusCode.OK)).GetProperty("cycle_spend_usd").GetDecimal());
    }
}
