using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Controls;

namespace Herald.Tests.Controls;

/// <summary>The filter language on its own: each operator, type mismatches, missing paths, and what parsing refuses.</summary>
public sealed class EventFilterTests
{
    private static readonly FilterEvent Event = new("billing.invoice.paid", ["billing", "eu"], DateTimeOffset.Parse("2026-03-01T10:00:00Z"),
        JsonSerializer.SerializeToElement(new
        {
            amount = 150, currency = "INR", customer = new { email = "a@example.com", vip = true }, tags = new[] { "new", "priority" },
            items = new object[] { new { sku = "A-1", qty = 2 }, new { sku = "B-2", qty = 1 } }, note = (string?)null,
        }));

    private static bool Matches(string filter)
    {
        var (parsed, errors) = EventFilter.Parse(JsonNode.Parse(filter)!.AsObject(), "filter");
        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => $"{e.Path}: {e.Message}")));
        return parsed!.Matches(Event);
    }

    [Theory]
    // bare value = $eq, on the roots and on data
    [InlineData("""{"type": "billing.invoice.paid"}""", true)]
    [InlineData("""{"type": "billing.invoice.failed"}""", false)]
    [InlineData("""{"data.currency": "INR"}""", true)]
    [InlineData("""{"data.amount": 150}""", true)]
    [InlineData("""{"data.amount": 150.0}""", true)]
    [InlineData("""{"data.amount": "150"}""", false)] // a string is not the number
    [InlineData("""{"categories": "billing"}""", true)] // an array equals a value it contains
    [InlineData("""{"categories": "ops"}""", false)]
    [InlineData("""{"data.customer.vip": true}""", true)]
    [InlineData("""{"data.note": null}""", true)]
    [InlineData("""{"data.customer": {"$eq": {"email": "a@example.com", "vip": true}}}""", true)]
    // $ne
    [InlineData("""{"data.currency": {"$ne": "USD"}}""", true)]
    [InlineData("""{"data.currency": {"$ne": "INR"}}""", false)]
    [InlineData("""{"data.missing": {"$ne": "x"}}""", true)] // a missing path is not equal
    // $in / $nin
    [InlineData("""{"data.currency": {"$in": ["INR", "USD"]}}""", true)]
    [InlineData("""{"data.currency": {"$in": ["EUR"]}}""", false)]
    [InlineData("""{"data.missing": {"$in": ["x"]}}""", false)]
    [InlineData("""{"data.currency": {"$nin": ["EUR", "USD"]}}""", true)]
    [InlineData("""{"data.currency": {"$nin": ["INR"]}}""", false)]
    [InlineData("""{"data.missing": {"$nin": ["x"]}}""", true)]
    [InlineData("""{"categories": {"$in": ["ops", "eu"]}}""", true)]
    // ranges
    [InlineData("""{"data.amount": {"$gt": 100}}""", true)]
    [InlineData("""{"data.amount": {"$gt": 150}}""", false)]
    [InlineData("""{"data.amount": {"$gte": 150}}""", true)]
    [InlineData("""{"data.amount": {"$lt": 150}}""", false)]
    [InlineData("""{"data.amount": {"$lte": 150}}""", true)]
    [InlineData("""{"data.amount": {"$gte": 100, "$lt": 200}}""", true)]
    [InlineData("""{"data.amount": {"$gt": "100"}}""", false)] // number against string: no match, no error
    [InlineData("""{"data.currency": {"$gt": 5}}""", false)]
    [InlineData("""{"data.currency": {"$gte": "INR"}}""", true)] // strings compare ordinally
    [InlineData("""{"data.missing": {"$lt": 5}}""", false)]
    [InlineData("""{"occurred_at": {"$gte": "2026-03-01T00:00:00Z"}}""", true)]
    [InlineData("""{"occurred_at": {"$lt": "2026-03-01T09:59:59+00:00"}}""", false)]
    // $exists
    [InlineData("""{"data.customer.email": {"$exists": true}}""", true)]
    [InlineData("""{"data.customer.phone": {"$exists": true}}""", false)]
    [InlineData("""{"data.customer.phone": {"$exists": false}}""", true)]
    [InlineData("""{"data.note": {"$exists": true}}""", true)] // present with null
    // strings
    [InlineData("""{"type": {"$prefix": "billing."}}""", true)]
    [InlineData("""{"type": {"$suffix": ".paid"}}""", true)]
    [InlineData("""{"type": {"$suffix": ".failed"}}""", false)]
    [InlineData("""{"data.amount": {"$prefix": "1"}}""", false)] // not a string
    [InlineData("""{"data.customer.email": {"$contains": "@example."}}""", true)]
    [InlineData("""{"data.tags": {"$contains": "priority"}}""", true)]
    [InlineData("""{"data.tags": {"$contains": "prio"}}""", false)] // arrays hold whole values
    [InlineData("""{"data.amount": {"$contains": 1}}""", false)]
    // array indexes, both spellings
    [InlineData("""{"data.items[1].sku": "B-2"}""", true)]
    [InlineData("""{"data.items.0.qty": {"$gte": 2}}""", true)]
    [InlineData("""{"data.items[5].sku": {"$exists": false}}""", true)]
    [InlineData("""{"data.amount.x": {"$exists": false}}""", true)] // a path through a number is missing
    // logic
    [InlineData("""{"$and": [{"data.amount": {"$gte": 100}}, {"data.currency": "INR"}]}""", true)]
    [InlineData("""{"$and": [{"data.amount": {"$gte": 100}}, {"data.currency": "USD"}]}""", false)]
    [InlineData("""{"$or": [{"data.amount": {"$gte": 1000}}, {"data.currency": "INR"}]}""", true)]
    [InlineData("""{"$or": [{"data.amount": {"$gte": 1000}}, {"data.currency": "USD"}]}""", false)]
    [InlineData("""{"$not": {"data.currency": "INR"}}""", false)]
    [InlineData("""{"data.amount": {"$not": {"$gt": 1000}}}""", true)]
    [InlineData("""{"data.amount": {"$gte": 100}, "data.currency": {"$in": ["INR", "USD"]}}""", true)] // the example
    [InlineData("""{}""", true)]
    public void Each_operator_matches_as_documented(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("""{"data.amount": {"$gtee": 100}}""", "filter.data.amount.$gtee")]
    [InlineData("""{"data.amount": {"$gt": true}}""", "filter.data.amount.$gt")]
    [InlineData("""{"data.amount": {"$in": 5}}""", "filter.data.amount.$in")]
    [InlineData("""{"data.amount": {"$exists": "yes"}}""", "filter.data.amount.$exists")]
    [InlineData("""{"data.x": {"$prefix": 1}}""", "filter.data.x.$prefix")]
    [InlineData("""{"data.x": {"$contains": [1]}}""", "filter.data.x.$contains")]
    [InlineData("""{"data.x": {"$gt": 1, "plain": 2}}""", "filter.data.x.plain")]
    [InlineData("""{"data.x": {"$not": 5}}""", "filter.data.x.$not")]
    [InlineData("""{"$and": [{"data.x": {"$bad": 1}}]}""", "filter.$and[0].data.x.$bad")]
    [InlineData("""{"$or": []}""", "filter.$or")]
    [InlineData("""{"$and": [5]}""", "filter.$and[0]")]
    [InlineData("""{"$where": "1"}""", "filter.$where")]
    [InlineData("""{"title": "x"}""", "filter.title")]
    [InlineData("""{"data..x": 1}""", "filter.data..x")]
    [InlineData("""{"data.x[a]": 1}""", "filter.data.x[a]")]
    [InlineData("""{"type.x": 1}""", "filter.type.x")]
    [InlineData("""{"occurred_at": {"$gt": 5}}""", "filter.occurred_at.$gt")]
    public void A_bad_filter_is_refused_naming_the_path(string filter, string path)
    {
        var (parsed, errors) = EventFilter.Parse(JsonNode.Parse(filter)!.AsObject(), "filter");
        Assert.Null(parsed);
        Assert.Contains(path, errors.Select(e => e.Path));
    }

    [Fact]
    public void Depth_size_and_count_are_bounded()
    {
        var deep = """{"data.x": 1}""";
        for (var i = 0; i < EventFilter.MaxDepth + 1; i++) deep = $$"""{"$not": {{deep}}}""";
        Assert.NotEmpty(EventFilter.Parse(JsonNode.Parse(deep)!.AsObject(), "filter").Errors);

        var many = new JsonObject();
        for (var i = 0; i < EventFilter.MaxConditions + 1; i++) many[$"data.f{i}"] = i;
        Assert.Contains(EventFilter.Parse(many, "filter").Errors, e => e.Path == "filter" && e.Message.Contains("conditions"));

        var big = new JsonObject { ["data.x"] = new string('a', EventFilter.MaxBytes) };
        Assert.Contains(EventFilter.Parse(big, "filter").Errors, e => e.Path == "filter" && e.Message.Contains("bytes"));

        var longList = new JsonObject { ["data.x"] = new JsonObject { ["$in"] = new JsonArray(Enumerable.Range(0, 101).Select(i => (JsonNode)i).ToArray()) } };
        Assert.Contains(EventFilter.Parse(longList, "filter").Errors, e => e.Path == "filter.data.x.$in");
    }
}
