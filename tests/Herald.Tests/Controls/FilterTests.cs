using System.Net;
using System.Text.Json;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Controls;

/// <summary>Payload filters through the API on both stores: fan-out, the 422 paths, filter-test, and the seed surfaces.</summary>
public sealed class FilterTests
{
    private const string Url = "https://hooks.example.com/in";

    private static async Task<HeraldFactory> StartAsync(string store)
    {
        // The worker is off: these tests look at the delivery rows fan-out writes, not at sends.
        var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" },
            services => services.AddSingleton<HostResolver>(provider =>
            {
                var resolver = new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>());
                foreach (var host in new[] { "hooks.example.com", "hooks.slack.com", "discord.com" })
                    resolver.Answers[host] = [IPAddress.Parse("93.184.216.34")];
                return resolver;
            }));
        _ = herald.Server;
        return herald;
    }

    private static async Task<HashSet<string>> DeliveredToAsync(HttpClient admin, string type, object data, object? extra = null)
    {
        var e = await admin.PublishAsync(type, data, extra);
        var stored = await admin.EventAsync(e.Str("id"));
        var ids = stored.GetProperty("delivery_list").EnumerateArray().Select(d => d.Str("destination_id")).ToHashSet();
        Assert.Equal(ids.Count, stored.GetProperty("deliveries").GetInt32());
        return ids;
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Each_operator_decides_at_fan_out_and_a_filtered_out_destination_gets_no_delivery_row(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var cases = new (string Name, string Filter)[]
        {
            ("eq", """{"data.currency": "INR"}"""),
            ("ne", """{"data.currency": {"$ne": "INR"}}"""),
            ("in", """{"data.currency": {"$in": ["INR", "USD"]}}"""),
            ("nin", """{"data.currency": {"$nin": ["INR"]}}"""),
            ("gt", """{"data.amount": {"$gt": 100}}"""),
            ("gte", """{"data.amount": {"$gte": 150}}"""),
            ("lt", """{"data.amount": {"$lt": 100}}"""),
            ("lte", """{"data.amount": {"$lte": 150}}"""),
            ("exists", """{"data.customer.email": {"$exists": true}}"""),
            ("not_exists", """{"data.customer.phone": {"$exists": true}}"""),
            ("prefix", """{"type": {"$prefix": "db."}}"""),
            ("suffix", """{"type": {"$suffix": ".delete"}}"""),
            ("contains", """{"data.tags": {"$contains": "priority"}}"""),
            ("and", """{"$and": [{"data.amount": {"$gte": 100}}, {"data.currency": "USD"}]}"""),
            ("or", """{"$or": [{"data.amount": {"$gte": 1000}}, {"categories": "billing"}]}"""),
            ("not", """{"$not": {"data.currency": "INR"}}"""),
            ("mismatch", """{"data.currency": {"$gt": 5}}"""),
            ("missing", """{"data.nowhere.deep": 1}"""),
            ("index", """{"data.items[1].sku": "B-2"}"""),
            ("occurred", """{"occurred_at": {"$gte": "2026-03-01T00:00:00Z"}}"""),
        };
        var expected = new HashSet<string> { "eq", "in", "gt", "gte", "lte", "exists", "prefix", "contains", "or", "index", "occurred" };
        var ids = new Dictionary<string, string>();
        foreach (var (name, filter) in cases)
            ids[name] = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url, name, filter = JsonDocument.Parse(filter).RootElement });
        var plain = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url, name = "no filter" });

        var got = await DeliveredToAsync(admin, "db.insert",
            new { amount = 150, currency = "INR", customer = new { email = "a@example.com" }, tags = new[] { "priority" },
                items = new[] { new { sku = "A-1" }, new { sku = "B-2" } } },
            new { categories = new[] { "billing" }, occurred_at = "2026-03-01T10:00:00Z" });
        Assert.Contains(plain, got);
        foreach (var (name, id) in ids)
            Assert.True(expected.Contains(name) == got.Contains(id), $"{name}: expected {(expected.Contains(name) ? "a delivery" : "none")}");

        // Each destination's delivery count: the filtered-out ones have no row at all.
        foreach (var (name, id) in ids)
        {
            var log = await admin.GetAsync($"/v1/destinations/{id}/deliveries").Json(HttpStatusCode.OK);
            Assert.Equal(expected.Contains(name) ? 1 : 0, log.GetProperty("data").GetArrayLength());
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_bad_filter_is_a_422_naming_its_path_and_changes_nothing(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var problem = await admin.PostRaw("/v1/destinations",
            """{"kind":"webhook","url":"https://hooks.example.com/in","filter":{"data.amount":{"$gtee":100}}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "filter.data.amount.$gtee");
        Assert.Contains("$gte", problem.GetProperty("errors").GetProperty("filter.data.amount.$gtee")[0].GetString());
        Assert.Equal(0, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        await admin.PostRaw("/v1/destinations", """{"kind":"webhook","url":"https://hooks.example.com/in","filter":[1]}""")
            .Problem(HttpStatusCode.BadRequest, "invalid_type", "filter");

        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = Url, filter = new Dictionary<string, object> { ["data.a"] = 1 } });
        await admin.PatchRaw($"/v1/destinations/{id}", """{"name":"renamed","filter":{"$or":[{"data.a":{"$in":"x"}}]}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "filter.$or[0].data.a.$in");
        var unchanged = await admin.DestinationAsync(id);
        Assert.NotEqual("renamed", unchanged.Str("name"));
        Assert.Equal(1, unchanged.GetProperty("filter").GetProperty("data.a").GetInt32());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_filter_is_shown_changed_cleared_and_tried_with_filter_test(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var id = await admin.CreateDestinationAsync(new { kind = "slack", url = "https://hooks.slack.com/services/T0/B0/x",
            filter = JsonDocument.Parse("""{"data.amount": {"$gte": 100}}""").RootElement });
        Assert.Equal(100, (await admin.DestinationAsync(id)).GetProperty("filter").GetProperty("data.amount").GetProperty("$gte").GetInt32());

        async Task<bool> Try(object e) => (await admin.PostJson($"/v1/destinations/{id}/filter-test", new { @event = e }).Json(HttpStatusCode.OK))
            .GetProperty("matches").GetBoolean();
        Assert.True(await Try(new { type = "db.insert", data = new { amount = 100 } }));
        Assert.False(await Try(new { type = "db.insert", data = new { amount = 99 } }));
        Assert.False(await Try(new { type = "db.insert", data = new { } }));
        await admin.PostJson($"/v1/destinations/{id}/filter-test", new { @event = new { data = new { } } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "event.type");
        await admin.PostJson($"/v1/destinations/{id}/filter-test", new { @event = new { type = "db.insert", data = 5 } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "event.data");
        await admin.PostJson($"/v1/destinations/{id}/filter-test", new { })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "event");
        await admin.PostJson($"/v1/destinations/{Guid.NewGuid()}/filter-test", new { @event = new { type = "x" } })
            .Problem(HttpStatusCode.NotFound, "not_found");

        Assert.Single(await DeliveredToAsync(admin, "db.insert", new { amount = 500 }));
        Assert.Empty(await DeliveredToAsync(admin, "db.insert", new { amount = 5 }));

        await admin.PatchRaw($"/v1/destinations/{id}", """{"filter":{"data.amount":{"$lt":10}}}""").Json(HttpStatusCode.OK);
        Assert.Single(await DeliveredToAsync(admin, "db.insert", new { amount = 5 }));
        Assert.True(await Try(new { type = "db.insert", data = new { amount = 5 } }));

        var cleared = await admin.PatchRaw($"/v1/destinations/{id}", """{"filter":null}""").Json(HttpStatusCode.OK);
        Assert.False(cleared.TryGetProperty("filter", out _));
        Assert.Single(await DeliveredToAsync(admin, "db.insert", new { amount = 50 }));
        Assert.True(await Try(new { type = "anything", data = new { } }));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task The_seed_surfaces_take_filters_data_and_a_webhook_filter(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var usd = JsonDocument.Parse("""{"data.currency": "USD"}""").RootElement;

        // seed 000: marketplace installations
        await admin.PostRaw("/v2/marketplace/installations",
                """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T0/B0/x","filters":{"data":{"data.amount":{"$gtee":1}}}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "filters.data.data.amount.$gtee");
        var installed = await admin.PostJson("/v2/marketplace/installations",
            new { listing_slug = "slack", url = "https://hooks.slack.com/services/T0/B0/x", filters = new { categories = new[] { "billing" }, data = usd } })
            .Json(HttpStatusCode.Created);
        var installation = Guid.ParseExact(installed.Str("id")[4..], "N").ToString();

        // seed 001: connectors, shown back under filters.data
        await admin.PostRaw("/api/v1/connectors",
                """{"type":"discord","name":"d","config":{"webhook_url":"https://discord.com/api/webhooks/1/x"},"filters":{"data":{"$nope":[]}}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "filters.data.$nope");
        var connector = await admin.PostJson("/api/v1/connectors",
            new { type = "discord", name = "d", config = new { webhook_url = "https://discord.com/api/webhooks/1/x" }, filters = new { data = usd } })
            .Json(HttpStatusCode.Created);
        Assert.Equal("USD", connector.GetProperty("filters").GetProperty("data").Str("data.currency"));
        var connectorId = connector.Str("uuid");
        Assert.Equal("USD", (await admin.GetAsync($"/api/v1/connectors/{connectorId}").Json(HttpStatusCode.OK))
            .GetProperty("filters").GetProperty("data").Str("data.currency"));

        // seed 002: webhooks
        await admin.PostRaw($"/projects/{project}/integrations/webhooks",
                """{"url":"https://hooks.example.com/in","events":["db.insert"],"filter":{"data.currency":{"$in":"USD"}}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "filter.data.currency.$in");
        var webhook = (await admin.PostJson($"/projects/{project}/integrations/webhooks",
            new { url = "https://hooks.example.com/in", events = new[] { "db.insert" }, filter = usd }).Json(HttpStatusCode.Created)).Str("id");

        var got = await DeliveredToAsync(admin, "db.insert", new { currency = "USD" }, new { categories = new[] { "billing" } });
        Assert.Equal(new HashSet<string> { installation, connectorId, webhook }, got);
        Assert.Empty(await DeliveredToAsync(admin, "db.insert", new { currency = "INR" }, new { categories = new[] { "billing" } }));

        // Changing the webhook's filter; PUT of a connector's filters without data clears its filter (as with categories).
        await admin.PutAsJsonAsyncRaw($"/projects/{project}/integrations/webhooks/{webhook}", """{"filter":{"data.currency":"INR"}}""");
        await admin.PutAsJsonAsyncRaw($"/api/v1/connectors/{connectorId}", """{"filters":{"categories":[]}}""");
        got = await DeliveredToAsync(admin, "db.insert", new { currency = "INR" }, new { categories = new[] { "billing" } });
        Assert.Equal(new HashSet<string> { connectorId, webhook }, got);
    }
}

internal static class PutExtensions
{
    public static async Task PutAsJsonAsyncRaw(this HttpClient client, string url, string body) =>
        await (await client.PutAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).Json(HttpStatusCode.OK);
}
