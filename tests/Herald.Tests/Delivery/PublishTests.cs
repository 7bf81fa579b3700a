using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Delivery;

public sealed class PublishTests
{
    private static Dictionary<string, string?> NoWorker() => new()
    {
        ["Herald:Delivery:Worker"] = "false",
        ["Herald:Delivery:AllowedNetworks:0"] = "93.184.216.0/24",
    };

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Publishing_stores_the_event_with_one_delivery_per_matching_active_destination(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, NoWorker());
        var admin = herald.Admin();
        var all = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/all" });
        var db = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/db", events = new[] { "db.*" } });
        var tech = await admin.CreateDestinationAsync(new
        {
            kind = "slack", url = "https://hooks.slack.com/services/T0/B0/X", events = new[] { "promise.status_changed" },
            categories = new[] { "tech-product" },
        });
        var off = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/off" });
        await admin.PatchRaw($"/v1/destinations/{off}", """{"status":"disabled"}""").Json(HttpStatusCode.OK);

        var insert = await admin.PublishAsync("db.insert", new { table = "users", id = 7 });
        Assert.StartsWith("evt_", insert.Str("id"));
        Assert.Equal("event", insert.Str("object"));
        Assert.Equal(2, insert.GetProperty("deliveries").GetInt32());
        var stored = await admin.EventAsync(insert.Str("id"));
        Assert.Equal(7, stored.GetProperty("data").GetProperty("id").GetInt32());
        Assert.Equal(new[] { all, db }.Order(), stored.GetProperty("delivery_list").EnumerateArray().Select(d => d.Str("destination_id")).Order());
        Assert.All(stored.GetProperty("delivery_list").EnumerateArray(), d => Assert.Equal("pending", d.Str("status")));

        var promiseOther = await admin.PublishAsync("promise.status_changed", new { status = "kept" }, new { categories = new[] { "politics" } });
        Assert.Equal(1, promiseOther.GetProperty("deliveries").GetInt32()); // only "all": the Slack filter wants tech-product
        var promiseTech = await admin.PublishAsync("promise.status_changed", new { status = "kept" }, new { categories = new[] { "tech-product", "x" } });
        Assert.Equal(2, promiseTech.GetProperty("deliveries").GetInt32());
        Assert.Contains((await admin.EventAsync(promiseTech.Str("id"))).GetProperty("delivery_list").EnumerateArray(), d => d.Str("destination_id") == tech);

        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{(await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id")}/keys",
            new { name = "publisher", role = "member" }).Json(HttpStatusCode.Created)).Str("key"));
        await member.PublishAsync("auth.signup", new { user = "u1" }); // members publish
        var list = await member.GetAsync("/v1/events?limit=2").Json(HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
        Assert.Equal("auth.signup", list.GetProperty("data")[0].Str("type")); // newest first
        Assert.True(list.GetProperty("has_more").GetBoolean());
        var rest = await member.GetAsync($"/v1/events?limit=10&cursor={list.Str("next_cursor")}").Json(HttpStatusCode.OK);
        Assert.Equal(2, rest.GetProperty("data").GetArrayLength());
        Assert.Equal(2, (await member.GetAsync("/v1/events?type=promise.status_changed").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task An_idempotency_key_repeat_returns_the_first_event_and_creates_nothing_even_when_racing(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, NoWorker());
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/all" });

        var first = await admin.PublishAsync("user.created", new { id = 1 }, idempotencyKey: "order-1");
        using var again = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = System.Net.Http.Json.JsonContent.Create(new { type = "user.created", data = new { id = 1 } }) };
        again.Headers.Add("Idempotency-Key", "order-1");
        var replay = await admin.SendAsync(again);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(first.Str("id"), (await replay.Json(HttpStatusCode.Accepted)).Str("id"));

        using var different = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = System.Net.Http.Json.JsonContent.Create(new { type = "user.created", data = new { id = 2 } }) };
        different.Headers.Add("Idempotency-Key", "order-1");
        await (await admin.SendAsync(different)).Problem(HttpStatusCode.Conflict, "idempotency_key_reused", "Idempotency-Key");

        var racing = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => admin.PublishAsync("user.created", new { id = 3 }, idempotencyKey: "race")));
        Assert.Single(racing.Select(r => r.Str("id")).Distinct());

        var events = await admin.GetAsync("/v1/events?limit=200").Json(HttpStatusCode.OK);
        Assert.Equal(2, events.GetProperty("data").GetArrayLength());
    }

    public static TheoryData<string, HttpStatusCode, string, string> BadEvents => new()
    {
        { """{"type":"nope.unknown","data":{}}""", HttpStatusCode.UnprocessableEntity, "unknown_event_type", "type" },
        { """{"data":{}}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "type" },
        { """{"type":"db.insert"}""", HttpStatusCode.UnprocessableEntity, "validation_failed", "data" },
        { """{"type":"db.insert","data":[1,2]}""", HttpStatusCode.BadRequest, "invalid_type", "data" },
        { """{"type":"db.insert","data":"text"}""", HttpStatusCode.BadRequest, "invalid_type", "data" },
        { """{"type":"db.insert","data":{},"categories":"x"}""", HttpStatusCode.BadRequest, "invalid_type", "categories" },
        { """{"type":"db.insert","data":{},"occurred_at":"yesterday"}""", HttpStatusCode.BadRequest, "invalid_type", "occurred_at" },
        { """{"type":"db.insert","data":{},"colour":"red"}""", HttpStatusCode.BadRequest, "unknown_field", "colour" },
        { """{"type":"db.insert","data":{}""", HttpStatusCode.BadRequest, "malformed_json", "body" },
    };

    [Theory, MemberData(nameof(BadEvents))]
    public async Task Bad_events_are_refused_naming_the_field_and_nothing_is_stored(string body, HttpStatusCode status, string code, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, NoWorker());
        await herald.Admin().PostRaw("/v1/events", body).Problem(status, code, field);
        Assert.Equal(0, (await herald.Admin().GetAsync("/v1/events").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Oversized_events_get_413_and_unknown_types_pass_when_the_operator_allows_them()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false", ["Herald:Events:AllowUnknownTypes"] = "true" });
        var big = JsonSerializer.Serialize(new { type = "db.insert", data = new { blob = new string('x', 300 * 1024) } });
        await herald.Admin().PostRaw("/v1/events", big).Problem(HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        var custom = await herald.Admin().PublishAsync("shop.order.custom", new { id = 1 });
        Assert.Equal("shop.order.custom", custom.Str("type"));
        await herald.Operator().PostRaw("/v1/events", """{"type":"db.insert","data":{}}""").Problem(HttpStatusCode.Forbidden, "forbidden");
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Operators_add_event_types_with_a_schema_that_publishing_enforces(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, NoWorker());
        var types = await herald.Admin().GetAsync("/v1/event-types").Json(HttpStatusCode.OK);
        var names = types.GetProperty("data").EnumerateArray().Select(t => t.Str("name")).ToList();
        foreach (var builtin in new[] { "billing.budget.alert", "promise.status_changed", "auth.signup", "auth.login", "auth.password_reset",
                     "db.insert", "db.update", "db.delete", "storage.upload", "storage.delete", "functions.invoked", "functions.error",
                     "user.created", "user.updated", "user.deleted", "test.ping" })
            Assert.Contains(builtin, names);

        var schema = new { type = "object", required = new[] { "order_id" }, properties = new { order_id = new { type = "string" } } };
        await herald.Admin().PostJson("/v1/event-types", new { name = "order.shipped", description = "x" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        var created = await herald.Operator().PostJson("/v1/event-types", new { name = "order.shipped", description = "An order left the warehouse.", schema })
            .Json(HttpStatusCode.Created);
        Assert.False(created.GetProperty("builtin").GetBoolean());
        await herald.Operator().PostJson("/v1/event-types", new { name = "order.shipped" }).Problem(HttpStatusCode.Conflict, "event_type_exists", "name");
        await herald.Operator().PostJson("/v1/event-types", new { name = "Bad Name" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "name");
        await (await herald.Operator().DeleteAsync("/v1/event-types/db.insert")).Problem(HttpStatusCode.Conflict, "event_type_builtin");

        var problem = await herald.Admin().PostRaw("/v1/events", """{"type":"order.shipped","data":{"order_id":5}}""")
            .Problem(HttpStatusCode.UnprocessableEntity, "schema_mismatch");
        Assert.StartsWith("data", problem.Str("field"));
        await herald.Admin().PostRaw("/v1/events", """{"type":"order.shipped","data":{}}""").Problem(HttpStatusCode.UnprocessableEntity, "schema_mismatch");
        var ok = await herald.Admin().PublishAsync("order.shipped", new { order_id = "A-1" });
        Assert.Equal("order.shipped", ok.Str("type"));

        await (await herald.Operator().DeleteAsync("/v1/event-types/order.shipped")).Json(HttpStatusCode.NoContent);
        await herald.Admin().PostRaw("/v1/events", """{"type":"order.shipped","data":{}}""").Problem(HttpStatusCode.UnprocessableEntity, "unknown_event_type");
    }
}
