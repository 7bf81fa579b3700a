using System.Net;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Herald.Tests.Console;

/// <summary>
/// The console pages that cover the whole job, over HTTP: editing a destination with the API's checks, the delivery log's search and
/// recover, the attempt inspector, the event catalog with examples, and API keys for admins (key or admin portal session).
/// </summary>
public sealed partial class ConsoleCoverageTests
{
    private static async Task<(HeraldFactory Herald, TestReceiver Receiver)> StartAsync()
    {
        var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "receiver.test");
        settings["Herald:Delivery:PollInterval"] = "00:00:00.100";
        return (await HeraldFactory.CreateAsync(Stores.Sqlite, settings), receiver);
    }

    [Fact]
    public async Task A_destination_is_edited_with_the_apis_checks_and_a_refused_edit_changes_nothing()
    {
        var (herald, receiver) = await StartAsync();
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", name = "orders", url = "https://receiver.test/in", events = new[] { "db.*" }, headers = new Dictionary<string, string> { ["X_Token"] = "s3cret" } });
        using var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var page = await console.PageAsync($"/console/destinations/{id}");
        Assert.Contains("X_Token", page);
        Assert.DoesNotContain("s3cret", page); // header values are secrets

        // The API's answer to the same bad URL, word for word.
        var apiProblem = await admin.PatchRaw($"/v1/destinations/{id}", """{"url":"http://10.0.0.1/x"}""").Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "url");
        var refused = await console.PostFormAsync($"/console/destinations/{id}", new()
        {
            ["name"] = "renamed", ["url"] = "http://10.0.0.1/x", ["events"] = "db.*", ["method"] = "POST", ["status"] = "active",
        });
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains(WebUtility.HtmlEncode(apiProblem.GetProperty("errors").GetProperty("url")[0].GetString()!), await refused.Content.ReadAsStringAsync());
        var bad = await console.PostFormAsync($"/console/destinations/{id}", new() { ["name"] = "x", ["events"] = "no.such.type", ["status"] = "active" });
        Assert.Contains("data-form-errors", await bad.Content.ReadAsStringAsync());
        var badHeader = await console.PostFormAsync($"/console/destinations/{id}", new() { ["name"] = "x", ["events"] = "*", ["headers"] = "Host: evil", ["status"] = "active" });
        Assert.Contains("data-form-errors", await badHeader.Content.ReadAsStringAsync());
        var unchanged = await admin.DestinationAsync(id);
        Assert.Equal("orders", unchanged.Str("name"));

        var saved = await console.PostFormAsync($"/console/destinations/{id}", new()
        {
            ["name"] = "orders v2", ["url"] = "https://receiver.test/v2", ["events"] = "db.insert, auth.signup", ["categories"] = "tech",
            ["method"] = "PUT", ["headers"] = "X-Other: value", ["status"] = "disabled",
        });
        Assert.Equal(HttpStatusCode.SeeOther, saved.StatusCode);
        var d = await admin.DestinationAsync(id);
        Assert.Equal("orders v2", d.Str("name"));
        Assert.Equal("disabled", d.Str("status"));
        Assert.Equal("PUT", d.Str("method"));
        Assert.Equal(["db.insert", "auth.signup"], d.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("X-Other", await console.PageAsync($"/console/destinations/{id}"));
        Assert.DoesNotContain("X_Token", await console.PageAsync($"/console/destinations/{id}"));
    }

    [Fact]
    public async Task The_delivery_log_searches_by_type_and_time_inspects_attempts_and_recovers_failures()
    {
        var (herald, receiver) = await StartAsync();
        await using var _h = herald;
        await using var _r = receiver;
        receiver.Respond = context =>
        {
            context.Response.Headers["X-Receiver"] = "seen";
            context.Response.Headers.SetCookie = "sid=private-session";
            context.Response.StatusCode = context.Request.Path == "/down" ? 503 : 200;
            return context.Response.WriteAsync(context.Request.Path == "/down" ? "maintenance <b>window</b>" : "ok");
        };
        var admin = herald.Admin();
        var up = await admin.CreateDestinationAsync(new { kind = "webhook", name = "up", url = "https://receiver.test/up", events = new[] { "*" } });
        var signup = await admin.PublishAsync("auth.signup", new { user = "u_1" });
        var insert = await admin.PublishAsync("db.insert", new { row = 7 });
        await receiver.WaitForAsync(2);
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(insert.Str("id"), up)).Str("status") == "delivered", "the insert delivered");

        using var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var byType = await console.PageAsync("/console/deliveries?type=db.insert");
        Assert.Single(Deliveries().Matches(byType));
        Assert.Contains(insert.Str("id"), byType);
        var future = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm");
        Assert.Empty(Deliveries().Matches(await console.PageAsync($"/console/deliveries?from={future}")));
        Assert.Equal(2, Deliveries().Matches(await console.PageAsync($"/console/deliveries?to={future}")).Count);
        Assert.Contains("must be a date and time", await console.PageAsync("/console/deliveries?from=yesterday"));

        // The inspector: the request (body rendered, signature withheld) and the response.
        var delivery = (await admin.DeliveryOfAsync(insert.Str("id"), up)).Str("id");
        var inspected = await console.PageAsync($"/console/deliveries/{delivery}");
        Assert.Contains("webhook-signature: (made from the signing secret, withheld)", inspected);
        Assert.Contains("&quot;row&quot;: 7", inspected);
        Assert.Contains("delivered_200", inspected);
        Assert.Contains("HTTP 200", inspected);
        Assert.Contains("X-Receiver: seen", inspected);                 // the response's headers
        Assert.Contains("Set-Cookie: (withheld)", inspected);
        Assert.DoesNotContain("private-session", inspected);
        Assert.DoesNotContain("v1,", inspected);
        Assert.Equal(HttpStatusCode.NotFound, (await console.GetAsync("/console/deliveries/dlv_nope")).StatusCode);

        // A failing destination: its response body shows (encoded), and recover sends the failures again.
        var down = await admin.CreateDestinationAsync(new { kind = "webhook", name = "down", url = "https://receiver.test/down", events = new[] { "db.*" } });
        var failed = await admin.PublishAsync("db.update", new { row = 8 });
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(failed.Str("id"), down)).GetProperty("attempts").GetInt32() == 1, "the first attempt (503)");
        // Disabling ends what waits for a retry as failed; recover re-queues it once the destination is on again.
        (await admin.PatchRaw($"/v1/destinations/{down}", """{"status":"disabled"}""")).EnsureSuccessStatusCode();
        Assert.Equal("failed", (await admin.DeliveryOfAsync(failed.Str("id"), down)).Str("status"));
        (await admin.PatchRaw($"/v1/destinations/{down}", """{"status":"active"}""")).EnsureSuccessStatusCode();
        var since = DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm");
        var recovered = await console.PostFormAsync("/console/deliveries", new() { ["since"] = since, ["recoverDestination"] = down }, "/console/deliveries?handler=Recover");
        Assert.Equal(HttpStatusCode.SeeOther, recovered.StatusCode);
        Assert.Contains("Re-queued 1 failed delivery", await console.PageAsync(recovered.Headers.Location!.OriginalString));
        await receiver.WaitForAsync(5); // 2 + the update to up + two tries to down
        var failedDelivery = (await admin.DeliveryOfAsync(failed.Str("id"), down)).Str("id");
        await Eventually.TrueAsync(async () => (await console.PageAsync($"/console/deliveries/{failedDelivery}")).Contains("maintenance &lt;b&gt;window&lt;/b&gt;"), "the 503 body in the inspector");

        // Members read the log and the inspector but get no recover form.
        var member = (await admin.PostJson($"/v1/projects/{(await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id")}/keys", new { name = "m", role = "member" }).Json(HttpStatusCode.Created)).Str("key");
        using var reader = await ConsoleClient.SignInAsync(herald, member);
        Assert.DoesNotContain("Recover failed deliveries", await reader.PageAsync("/console/deliveries"));
        Assert.DoesNotContain("Retry now", await reader.PageAsync($"/console/deliveries/{failedDelivery}"));
    }

    [Fact]
    public async Task The_event_catalog_shows_schemas_and_examples_and_sends_an_example_to_one_connector()
    {
        var (herald, receiver) = await StartAsync();
        await using var _h = herald;
        await using var _r = receiver;
        (await herald.Operator().PostRaw("/v1/event-types", """
            {"name":"order.paid","description":"An order was paid.","schema":{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer","minimum":100},"currency":{"enum":["INR","USD"]},"paid_at":{"type":"string","format":"date-time"}}}}
            """)).EnsureSuccessStatusCode();
        var hook = await herald.Admin().CreateDestinationAsync(new { kind = "webhook", name = "orders", url = "https://receiver.test/orders", events = new[] { "order.*" } });
        using var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var page = await console.PageAsync("/console/events");
        Assert.Contains("data-event-type=\"order.paid\"", page);
        Assert.Contains("An order was paid.", page);
        Assert.Contains("&quot;minimum&quot;: 100", page); // the schema
        Assert.Contains("&quot;amount&quot;: 100,", page);  // the example follows it
        Assert.Contains("&quot;currency&quot;: &quot;INR&quot;", page);
        Assert.Contains("data-event-type=\"billing.budget.alert\"", page);

        var sent = await console.PostFormAsync("/console/events", new() { ["type"] = "order.paid", ["destination"] = hook }, "/console/events?handler=Send");
        Assert.Equal(HttpStatusCode.SeeOther, sent.StatusCode);
        Assert.Contains("Example order.paid to orders: delivered_200", await console.PageAsync("/console/events"));
        var received = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Contains("\"amount\":100", received.Body);
        Assert.Contains("order.paid", received.Body);
        Assert.True(received.Headers.ContainsKey("webhook-signature"));
    }

    [Fact]
    public async Task Admins_manage_api_keys_in_the_console_with_a_key_or_an_admin_portal_session()
    {
        var (herald, receiver) = await StartAsync();
        await using var _h = herald;
        await using var _r = receiver;
        var admin = herald.Admin();
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var link = await admin.PostJson($"/v1/projects/{projectId}/portal-sessions", new { role = "admin" }).Json(HttpStatusCode.Created);
        using var portal = herald.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.SeeOther, (await portal.GetAsync(new Uri(link.Str("url")).PathAndQuery)).StatusCode);

        var refused = await portal.PostFormAsync("/console/keys", new() { ["name"] = "", ["role"] = "owner" }, "/console/keys?handler=Create");
        var refusedHtml = await refused.Content.ReadAsStringAsync();
        Assert.Contains("is required.", refusedHtml);
        Assert.Contains("must be one of: admin, member.", refusedHtml);
        var created = await portal.PostFormAsync("/console/keys", new() { ["name"] = "billing service", ["role"] = "member" }, "/console/keys?handler=Create");
        Assert.Equal(HttpStatusCode.SeeOther, created.StatusCode);
        var shown = await portal.PageAsync("/console/keys");
        var secret = Regex.Match(shown, "data-secret>(hk_member_[^<]+)<").Groups[1].Value;
        Assert.StartsWith("hk_member_", secret);
        Assert.Contains("API key for billing service (member)", shown);
        Assert.DoesNotContain(secret, await portal.PageAsync("/console/keys")); // once only
        Assert.DoesNotContain(HeraldFactory.AdminKey, shown);
        var me = await herald.ClientWithKey(secret).GetAsync("/v1/me").Json(HttpStatusCode.OK);
        var keyId = me.Str("key_id");

        var revoked = await portal.PostFormAsync("/console/keys", new() { ["id"] = keyId }, "/console/keys?handler=Revoke");
        Assert.Equal(HttpStatusCode.SeeOther, revoked.StatusCode);
        await herald.ClientWithKey(secret).GetAsync("/v1/me").Problem(HttpStatusCode.Unauthorized, "unauthorized");

        // A key session cannot revoke the key it signed in with (it would end itself half-way).
        using var keyed = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);
        var adminKeyId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("key_id");
        Assert.Contains("this session's key", await keyed.PageAsync("/console/keys"));
        Assert.Equal(HttpStatusCode.NotFound, (await keyed.PostFormAsync("/console/keys", new() { ["id"] = adminKeyId }, "/console/keys?handler=Revoke")).StatusCode);
        await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK);
    }

    [GeneratedRegex("<tr data-delivery=")]
    private static partial Regex Deliveries();
}
