using System.Net;
using Dapper;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Foundation;

public sealed class KeyAndRoleTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Key_secret_is_shown_once_stored_only_as_hash_and_a_revoked_key_is_refused(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var projectId = (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");

        var created = await herald.Admin().PostJson($"/v1/projects/{projectId}/keys", new { name = "ci", role = "member" }).Json(HttpStatusCode.Created);
        var secret = created.Str("key");
        Assert.StartsWith("hk_member_", secret);
        Assert.StartsWith(created.Str("prefix"), secret);
        Assert.True(created.Str("prefix").Length < secret.Length / 2);

        var member = herald.ClientWithKey(secret);
        Assert.Equal("member", (await member.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("role"));

        var list = await herald.Admin().GetAsync($"/v1/projects/{projectId}/keys").Json(HttpStatusCode.OK);
        Assert.DoesNotContain(secret, list.ToString());
        Assert.Contains(list.GetProperty("data").EnumerateArray(), k => k.Str("id") == created.Str("id") && k.Str("role") == "member");

        await using (var connection = await herald.Services.GetRequiredService<Db>().OpenAsync())
        {
            var rows = string.Join("|", await connection.QueryAsync<string>(
                "SELECT id || ' ' || role || ' ' || name || ' ' || prefix || ' ' || hash FROM api_keys"));
            Assert.DoesNotContain(secret, rows);
            Assert.DoesNotContain(HeraldFactory.AdminKey, rows);
        }

        var revoke = await herald.Admin().DeleteAsync($"/v1/projects/{projectId}/keys/{created.Str("id")}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await member.GetAsync("/v1/me").Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var after = await herald.Admin().GetAsync($"/v1/projects/{projectId}/keys").Json(HttpStatusCode.OK);
        var revoked = after.GetProperty("data").EnumerateArray().Single(k => k.Str("id") == created.Str("id"));
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null, revoked.GetProperty("revoked_at").ValueKind);
        Assert.DoesNotContain(secret, herald.Logs.All);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Member_key_cannot_do_admin_or_operator_things(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var projectId = (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var secret = (await herald.Admin().PostJson($"/v1/projects/{projectId}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key");
        var member = herald.ClientWithKey(secret);

        await member.PostJson($"/v1/projects/{projectId}/keys", new { name = "x", role = "admin" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.GetAsync($"/v1/projects/{projectId}/keys").Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.PostJson("/v1/projects", new { name = "x" }).Problem(HttpStatusCode.Forbidden, "forbidden");
        await member.PatchRaw($"/v1/projects/{projectId}", """{"plan":"enterprise"}""").Problem(HttpStatusCode.Forbidden, "forbidden");
        await herald.Admin().PostJson("/v1/projects", new { name = "x" }).Problem(HttpStatusCode.Forbidden, "forbidden");

        // A member still reads its own project.
        Assert.Equal(projectId, (await member.GetAsync($"/v1/projects/{projectId}").Json(HttpStatusCode.OK)).Str("id"));
        var keys = await herald.Operator().GetAsync($"/v1/projects/{projectId}/keys").Json(HttpStatusCode.OK);
        Assert.Equal(2, keys.GetProperty("data").GetArrayLength()); // the forbidden create changed nothing
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Keys_of_project_A_see_nothing_of_project_B(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var projectA = (await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var projectB = (await herald.Operator().PostJson("/v1/projects", new { name = "B", plan = "pro" }).Json(HttpStatusCode.Created)).Str("id");
        var bKey = await herald.Operator().PostJson($"/v1/projects/{projectB}/keys", new { name = "b admin", role = "admin" }).Json(HttpStatusCode.Created);
        var adminB = herald.ClientWithKey(bKey.Str("key"));

        await herald.Admin().GetAsync($"/v1/projects/{projectB}").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Admin().GetAsync($"/v1/projects/{projectB}/keys").Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Admin().PostJson($"/v1/projects/{projectB}/keys", new { name = "sneaky" }).Problem(HttpStatusCode.NotFound, "not_found");
        var revokeOther = await herald.Admin().DeleteAsync($"/v1/projects/{projectB}/keys/{bKey.Str("id")}");
        await revokeOther.Problem(HttpStatusCode.NotFound, "not_found");
        // Revoking B's key through A's path is not found either.
        await (await herald.Admin().DeleteAsync($"/v1/projects/{projectA}/keys/{bKey.Str("id")}")).Problem(HttpStatusCode.NotFound, "not_found");
        await adminB.GetAsync("/v1/me").Json(HttpStatusCode.OK); // still valid

        var seenByA = await herald.Admin().GetAsync("/v1/projects").Json(HttpStatusCode.OK);
        Assert.Equal([projectA], seenByA.GetProperty("data").EnumerateArray().Select(p => p.Str("id")));
        var seenByB = await adminB.GetAsync("/v1/projects").Json(HttpStatusCode.OK);
        Assert.Equal([projectB], seenByB.GetProperty("data").EnumerateArray().Select(p => p.Str("id")));
        var seenByOperator = await herald.Operator().GetAsync("/v1/projects").Json(HttpStatusCode.OK);
        Assert.Equal(2, seenByOperator.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Missing_malformed_and_unknown_keys_get_401_problems()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var anonymous = await herald.Anonymous().GetAsync("/v1/projects");
        await anonymous.Problem(HttpStatusCode.Unauthorized, "unauthorized", "Authorization");
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        await herald.ClientWithKey("hk_admin_nottherightkeynottherightkey").GetAsync("/v1/projects").Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var basic = herald.Anonymous();
        basic.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Basic dXNlcjpwYXNz");
        await basic.GetAsync("/v1/projects").Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var huge = herald.Anonymous();
        huge.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Bearer " + new string('k', 5000));
        await huge.GetAsync("/v1/projects").Problem(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Request_logs_never_contain_the_authorization_header()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        await herald.Admin().GetAsync("/v1/projects").Json(HttpStatusCode.OK);
        await herald.ClientWithKey("hk_admin_wrongwrongwrongwrongwrongwrong").GetAsync("/v1/projects");
        await herald.Operator().PostRaw("/v1/projects", """{"name": "x", "bogus": "body-secret-value"}""");
        Assert.Contains("/v1/projects", herald.Logs.All); // requests are logged...
        Assert.DoesNotContain(HeraldFactory.AdminKey, herald.Logs.All); // ...without the key
        Assert.DoesNotContain("hk_admin_wrongwrong", herald.Logs.All);
        Assert.DoesNotContain(HeraldFactory.OperatorKey, herald.Logs.All);
        Assert.DoesNotContain("body-secret-value", herald.Logs.All);
    }
}
