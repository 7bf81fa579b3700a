using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Foundation;

public sealed class ProjectAndInputTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Operator_creates_updates_and_pages_through_projects(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var op = herald.Operator();
        var created = await op.PostJson("/v1/projects", new { name = "Acme", plan = "journalist", monthly_budget_usd = 51.5m })
            .Json(HttpStatusCode.Created);
        Assert.StartsWith("prj_", created.Str("id"));
        Assert.Equal("project", created.Str("object"));
        Assert.Equal("journalist", created.Str("plan"));
        Assert.Equal(10, created.GetProperty("connector_limit").GetInt32());
        Assert.Equal(51.5m, created.GetProperty("monthly_budget_usd").GetDecimal());
        Assert.EndsWith("Z", created.Str("created_at"));

        var defaults = await op.PostJson("/v1/projects", new { name = "Beta" }).Json(HttpStatusCode.Created);
        Assert.Equal("pro", defaults.Str("plan"));
        Assert.Equal(5, defaults.GetProperty("connector_limit").GetInt32());

        var enterprise = await op.PatchRaw($"/v1/projects/{created.Str("id")}", """{"plan":"enterprise","monthly_budget_usd":null}""")
            .Json(HttpStatusCode.OK);
        Assert.Equal("enterprise", enterprise.Str("plan"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, enterprise.GetProperty("connector_limit").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, enterprise.GetProperty("monthly_budget_usd").ValueKind);
        Assert.Equal("Acme", enterprise.Str("name"));

        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await op.GetAsync($"/v1/projects?limit=1{(cursor is null ? "" : "&cursor=" + cursor)}").Json(HttpStatusCode.OK);
            ids.AddRange(page.GetProperty("data").EnumerateArray().Select(p => p.Str("id")));
            cursor = page.GetProperty("next_cursor").GetString();
            Assert.Equal(cursor is not null, page.GetProperty("has_more").GetBoolean());
        } while (cursor is not null);
        Assert.Equal(3, ids.Count);
        Assert.Equal(3, ids.Distinct().Count());
    }

    public static TheoryData<string, HttpStatusCode, string, string> BadProjectBodies => new()
    {
        { "{\"name\": \"x\",", HttpStatusCode.BadRequest, "malformed_json", "body" },
        { "not json", HttpStatusCode.BadRequest, "malformed_json", "body" },
        { "{\"name\": 42}", HttpStatusCode.BadRequest, "invalid_type", "name" },
        { "{\"name\": \"x\", \"monthly_budget_usd\": \"lots\"}", HttpStatusCode.BadRequest, "invalid_type", "monthly_budget_usd" },
        { "{\"name\": \"x\", \"colour\": \"red\"}", HttpStatusCode.BadRequest, "unknown_field", "colour" },
        { "{}", HttpStatusCode.UnprocessableEntity, "validation_failed", "name" },
        { "{\"name\": \"   \"}", HttpStatusCode.UnprocessableEntity, "validation_failed", "name" },
        { "{\"name\": \"" + new string('n', 101) + "\"}", HttpStatusCode.UnprocessableEntity, "validation_failed", "name" },
        { "{\"name\": \"a\\u0000b\"}", HttpStatusCode.UnprocessableEntity, "validation_failed", "name" },
        { "{\"name\": \"x\", \"plan\": \"platinum\"}", HttpStatusCode.UnprocessableEntity, "validation_failed", "plan" },
        { "{\"name\": \"x\", \"monthly_budget_usd\": -5}", HttpStatusCode.UnprocessableEntity, "validation_failed", "monthly_budget_usd" },
        { "{\"name\": \"x\", \"monthly_budget_usd\": 0.123456}", HttpStatusCode.UnprocessableEntity, "validation_failed", "monthly_budget_usd" },
        { "[1, 2]", HttpStatusCode.BadRequest, "invalid_type", "body" },
    };

    [Theory, MemberData(nameof(BadProjectBodies))]
    public async Task Bad_project_input_gets_a_problem_naming_the_field_and_changes_nothing(string body, HttpStatusCode status, string code, string field)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Operator().PostRaw("/v1/projects", body).Problem(status, code, field);
        var projects = await herald.Operator().GetAsync("/v1/projects").Json(HttpStatusCode.OK);
        Assert.Equal(1, projects.GetProperty("data").GetArrayLength());
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Bad_updates_ids_and_parameters_are_refused_without_changes(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var op = herald.Operator();
        var id = (await op.PostJson("/v1/projects", new { name = "Stable", plan = "free" }).Json(HttpStatusCode.Created)).Str("id");

        await op.PatchRaw($"/v1/projects/{id}", """{"name":"Changed","plan":"nope"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "plan");
        await op.PatchRaw($"/v1/projects/{id}", """{"name":"Changed","plan":7}""").Problem(HttpStatusCode.BadRequest, "invalid_type", "plan");
        await op.PatchRaw($"/v1/projects/{id}", """{"name":"Changed","id":"prj_x"}""").Problem(HttpStatusCode.BadRequest, "unknown_field", "id");
        var unchanged = await op.GetAsync($"/v1/projects/{id}").Json(HttpStatusCode.OK);
        Assert.Equal("Stable", unchanged.Str("name"));
        Assert.Equal("free", unchanged.Str("plan"));

        await op.GetAsync("/v1/projects/prj_doesnotexistdoesnotexist1").Problem(HttpStatusCode.NotFound, "not_found");
        await op.GetAsync("/v1/projects/not-an-id").Problem(HttpStatusCode.NotFound, "not_found");
        await op.GetAsync("/v1/projects/' OR 1=1 --").Problem(HttpStatusCode.NotFound, "not_found");
        await op.PatchRaw("/v1/projects/prj_doesnotexistdoesnotexist1", """{"name":"x"}""").Problem(HttpStatusCode.NotFound, "not_found");
        await op.GetAsync($"/v1/projects/{id}/keys").Json(HttpStatusCode.OK);
        await (await op.DeleteAsync($"/v1/projects/{id}/keys/key_nope")).Problem(HttpStatusCode.NotFound, "not_found");
        await op.PostJson($"/v1/projects/{id}/keys", new { name = "x", role = "operator" }).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "role");
        await op.GetAsync("/v1/projects?limit=ten").Problem(HttpStatusCode.BadRequest, "invalid_parameter", "limit");
        await op.GetAsync("/v1/nowhere").Problem(HttpStatusCode.NotFound, "not_found");
        await (await op.DeleteAsync("/v1/projects")).Problem(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        var keys = await op.GetAsync($"/v1/projects/{id}/keys").Json(HttpStatusCode.OK);
        Assert.Equal(0, keys.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Wrong_content_type_and_empty_body_are_problems()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var text = await herald.Operator().PostAsync("/v1/projects", new StringContent("name=x", System.Text.Encoding.UTF8, "text/plain"));
        await text.Problem(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        var empty = await herald.Operator().PostAsync("/v1/projects", new StringContent("", System.Text.Encoding.UTF8, "application/json"));
        await empty.Problem(HttpStatusCode.BadRequest, "body_required", "body");
    }
}
