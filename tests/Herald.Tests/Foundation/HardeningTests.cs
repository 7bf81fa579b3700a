using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Foundation;

/// <summary>Rough edges a first user found: each one pinned down.</summary>
public sealed class HardeningTests
{
    [Fact]
    public async Task A_key_in_the_query_string_never_reaches_the_log()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Anonymous().GetAsync($"/v1/me?api_key={HeraldFactory.AdminKey}").Problem(HttpStatusCode.Unauthorized, "unauthorized");
        await herald.Admin().GetAsync($"/v1/events?limit=5&token={HeraldFactory.OperatorKey}").Json(HttpStatusCode.OK);
        Assert.Contains("/v1/me", herald.Logs.All);
        Assert.DoesNotContain(HeraldFactory.AdminKey, herald.Logs.All);
        Assert.DoesNotContain(HeraldFactory.OperatorKey, herald.Logs.All);
    }

    [Theory]
    [InlineData("/v1/events?limit=0", "limit")]
    [InlineData("/v1/events?limit=201", "limit")]
    [InlineData("/v1/events?limit=-1", "limit")]
    [InlineData("/v1/destinations?cursor=garbage", "cursor")]
    [InlineData("/v2/marketplace/installations?limit=1000", "limit")]
    public async Task Paging_parameters_out_of_range_are_refused(string url, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Admin().GetAsync(url).Problem(HttpStatusCode.BadRequest, "invalid_parameter", field);
    }

    [Theory]
    [InlineData("""{"kind":"slack","url":"https://hooks.slack.com/services/T0/B0/X","secret":"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ="}""", "secret")]
    [InlineData("""{"kind":"slack","url":"https://hooks.slack.com/services/T0/B0/X","method":"PUT"}""", "method")]
    [InlineData("""{"kind":"discord","url":"https://discord.com/api/webhooks/1/x","headers":{"a":"b"}}""", "headers")]
    public async Task Managed_connectors_refuse_webhook_only_settings(string body, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Admin().PostRaw("/v1/destinations", body).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", field);
        var slack = await herald.Admin().CreateDestinationAsync(new { kind = "slack", url = "https://hooks.slack.com/services/T0/B0/X" });
        await herald.Admin().PatchRaw($"/v1/destinations/{slack}", """{"method":"PUT"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "method");
        await herald.Admin().PatchRaw($"/v1/destinations/{slack}", """{"headers":{"a":"b"}}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "headers");
    }

    [Theory]
    [InlineData("""{"name":"order.pat","schema":{"type":"object","properties":{"a":{"type":"string","pattern":"(("}}}}""", "schema.properties.a.pattern")]
    [InlineData("""{"name":"order.kind","schema":{"type":"notatype"}}""", "schema.type")]
    public async Task Event_type_schemas_that_cannot_be_enforced_are_refused(string body, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Operator().PostRaw("/v1/event-types", body).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", field);
    }

    [Fact]
    public async Task Duplicate_fields_wrong_scheme_and_wrong_method_get_clear_problems()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Operator().PostRaw("/v1/projects", """{"name":"x","name":"y"}""").Problem(HttpStatusCode.BadRequest, "duplicate_field", "name");
        var basic = herald.Anonymous();
        basic.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Basic {HeraldFactory.AdminKey}");
        var problem = await basic.GetAsync("/v1/me").Problem(HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Contains("Bearer", problem.Str("title"));
        var method = await (await herald.Admin().PutAsync("/v1/events", null)).Problem(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        Assert.Contains("PUT", method.Str("detail"));
    }
}
