using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Security;

public sealed class SecretLeakTests
{
    [Fact]
    public async Task No_log_line_at_any_level_and_no_response_contains_the_url_token_header_or_secret()
    {
        const string token = "LEAKCHECKTOKEN24680";
        const string secret = "whsec_bGVhay1jaGVjay1zZWNyZXQtMTM1Nzk=";
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com");
        settings["Herald:Delivery:Resolve:1"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Logging:LogLevel:Default"] = "Trace";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace";
        settings["Logging:LogLevel:System.Net.Http"] = "Trace";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);
        var admin = herald.Admin();
        var responses = new List<string>();
        async Task<System.Text.Json.JsonElement> Call(Task<HttpResponseMessage> call, HttpStatusCode expected)
        {
            var response = await call;
            responses.Add(await response.Content.ReadAsStringAsync());
            return await response.Json(expected);
        }

        var slack = (await Call(admin.PostJson("/v1/destinations", new { kind = "slack", url = $"https://hooks.slack.com/services/T0/B0/{token}" }),
            HttpStatusCode.Created)).GetProperty("destination").Str("id");
        var hook = (await Call(admin.PostJson("/v1/destinations", new
        {
            kind = "webhook", url = $"https://receiver.test:{receiver.Port}/in/{token}", secret,
            headers = new Dictionary<string, string> { ["X-Token"] = token + "-header" },
        }), HttpStatusCode.Created)).GetProperty("destination").Str("id");

        await Call(admin.PostAsync($"/v1/destinations/{slack}/test", null), HttpStatusCode.OK);
        await Call(admin.PostAsync($"/v1/destinations/{hook}/test", null), HttpStatusCode.OK);
        receiver.Respond = context => { context.Response.StatusCode = 500; return Task.CompletedTask; };
        await Call(admin.PostAsync($"/v1/destinations/{slack}/test", null), HttpStatusCode.OK);
        receiver.Respond = context => { context.Abort(); return Task.CompletedTask; };
        await Call(admin.PostAsync($"/v1/destinations/{hook}/test", null), HttpStatusCode.OK);
        // bad input that includes the token must not echo it either
        await Call(admin.PostJson("/v1/destinations", new { kind = "slack", url = $"https://evil.example.com/services/T0/B0/{token}" }),
            HttpStatusCode.UnprocessableEntity);
        await Call(admin.GetAsync("/v1/destinations"), HttpStatusCode.OK);
        await Call(admin.GetAsync($"/v1/destinations/{hook}"), HttpStatusCode.OK);

        Assert.Equal(4, receiver.Received.Count);
        Assert.NotEmpty(herald.Logs.Lines);
        foreach (var leak in new[] { token, secret, secret[6..] })
        {
            Assert.DoesNotContain(leak, herald.Logs.All);
            Assert.All(responses, body => Assert.DoesNotContain(leak, body));
        }
    }
}
