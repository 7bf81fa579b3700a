using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Security;

/// <summary>A JSON body that names a key twice, at any depth, is a 400 duplicate_field naming the path: never a 500.</summary>
public sealed class DuplicateKeyTests
{
    [Theory]
    [InlineData("""{"type":"db.insert","data":{"a":1,"a":2}}""", "data.a")]
    [InlineData("""{"type":"db.insert","data":{"x":{"y":{"b":true,"b":false}}}}""", "data.x.y.b")]
    [InlineData("""{"type":"db.insert","data":{"list":[1,{"c":1,"c":2}]}}""", "data.list[1].c")]
    [InlineData("""{"type":"db.insert","data":{"deep":[[{"z":[{"q":1,"q":1}]}]]}}""", "data.deep[0][0].z[0].q")]
    public async Task Publishing_data_with_a_duplicate_key_is_a_400_naming_its_path(string body, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var r = await herald.Admin().PostRaw("/v1/events", body); TestContext.Current.SendDiagnosticMessage(herald.Logs.All); await r.Problem(HttpStatusCode.BadRequest, "duplicate_field", field);
        var list = await herald.Admin().GetAsync("/v1/events").Json(HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("data").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"name":"order.dup","schema":{"type":"object","type":"string"}}""", "schema.type")]
    [InlineData("""{"name":"order.dup","schema":{"type":"object","properties":{"a":{"type":"string","pattern":"x","pattern":"y"}}}}""", "schema.properties.a.pattern")]
    [InlineData("""{"name":"order.dup","schema":{"anyOf":[{"type":"string"},{"minLength":1,"minLength":2}]}}""", "schema.anyOf[1].minLength")]
    public async Task An_event_type_schema_with_a_duplicate_key_is_a_400_naming_its_path(string body, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Operator().PostRaw("/v1/event-types", body).Problem(HttpStatusCode.BadRequest, "duplicate_field", field);
        await herald.Operator().GetAsync("/v1/event-types/order.dup").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Operator().PostRaw("/v1/event-types", """{"name":"order.dup2"}""").Json(HttpStatusCode.Created);
        await herald.Operator().PatchRaw("/v1/event-types/order.dup2", body.Replace("\"name\":\"order.dup\",", ""))
            .Problem(HttpStatusCode.BadRequest, "duplicate_field", field);
    }

    [Fact]
    public async Task A_duplicate_inside_an_optional_patch_field_names_the_whole_path()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var id = await herald.Admin().CreateDestinationAsync(new { kind = "slack", url = "https://hooks.slack.com/services/T0/B0/X" });
        await herald.Admin().PatchRaw($"/v1/destinations/{id}", """{"headers":{"X-A":"1","X-A":"2"}}""")
            .Problem(HttpStatusCode.BadRequest, "duplicate_field", "headers.X-A");
    }
}
