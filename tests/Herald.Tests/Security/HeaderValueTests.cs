using System.Net;
using System.Net.Http.Json;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Custom header values must be what an HTTP request can carry; a send the HTTP stack refuses is no connect_error.</summary>
public sealed class HeaderValueTests
{
    public static TheoryData<string> Unsendable => new("café", "a\u0085b", "a\u2028b", "a\u2029b", "\u00a0x", "x\ny", "x\r\nSet-Cookie: a=b",
        "nul\0", "del\u007f", "emoji \U0001F600", " leading", "trailing ", "tab\t", "\u200bzero-width");

    [Theory, MemberData(nameof(Unsendable))]
    public async Task A_header_value_a_request_cannot_carry_is_refused_naming_the_header_on_every_surface(string value)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8" });
        var admin = herald.Admin();
        var headers = new Dictionary<string, string> { ["X-Foo"] = value };
        var destination = await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://127.0.0.1/hook" });
        var connector = (await admin.PostJson("/api/v1/connectors", new { type = "generic", name = "c", config = new { url = "https://127.0.0.1/c", method = "POST" } })
            .Json(HttpStatusCode.Created)).Str("id");

        await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://127.0.0.1/hook", headers })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "headers.X-Foo");
        await admin.PatchAsync($"/v1/destinations/{destination}", JsonContent.Create(new { headers }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "headers.X-Foo");
        await admin.PostJson("/api/v1/connectors", new { type = "generic", name = "c", config = new { url = "https://127.0.0.1/c", method = "POST", headers } })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "config.headers.X-Foo");
        await admin.PutAsync($"/api/v1/connectors/{connector}", JsonContent.Create(new { config = new { headers } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "config.headers.X-Foo");
        await admin.PatchAsync($"/api/v1/connectors/{connector}", JsonContent.Create(new { config = new { headers } }))
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "config.headers.X-Foo");

        var list = await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK);
        Assert.Equal(2, list.GetProperty("data").GetArrayLength());
        Assert.All(list.GetProperty("data").EnumerateArray(), d => Assert.False(d.GetProperty("has_custom_headers").GetBoolean()));
    }

    [Theory]
    [InlineData("Bearer abc.DEF-123_~+/=")]
    [InlineData("a b\tc")]
    [InlineData("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")]
    [InlineData("")]
    public async Task A_header_value_of_visible_ascii_spaces_and_tabs_is_accepted_and_sent_as_is(string value)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);
        var id = await herald.Admin().CreateDestinationAsync(new
        {
            kind = "webhook", url = $"https://receiver.test:{receiver.Port}/hook", headers = new Dictionary<string, string> { ["X-Foo"] = value },
        });
        Assert.Equal("delivered_200", (await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK)).Str("status"));
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal(value, request.Headers.GetValueOrDefault("x-foo") ?? "");
    }

    [Fact]
    public async Task A_send_the_http_stack_refuses_is_a_request_error_not_a_connect_error()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);
        _ = herald.Server;
        var sender = herald.Services.GetRequiredService<SafeHttpSender>();
        var url = new Uri($"https://receiver.test:{receiver.Port}/hook");

        // A value stored before values were checked, as a destination created then would still carry it.
        var refused = await sender.SendAsync(HttpMethod.Post, url, "{}"u8.ToArray(), "application/json",
            [new("X-Foo", "café")], TestContext.Current.CancellationToken);
        Assert.Equal(Outcomes.RequestError, refused.Outcome);
        Assert.Empty(receiver.Received);

        var fine = await sender.SendAsync(HttpMethod.Post, url, "{}"u8.ToArray(), "application/json",
            [new("X-Foo", "cafe")], TestContext.Current.CancellationToken);
        Assert.Equal("delivered_200", fine.Outcome);
        Assert.DoesNotContain("receiver.test", herald.Logs.All);
    }
}
