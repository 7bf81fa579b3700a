using System.Net;
using System.Text.Json;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Security;

public sealed class SafeSenderTests
{
    private const string SlackToken = "SECRETTOKEN0123456789";
    private const string SlackUrl = "https://hooks.slack.com/services/T0AAAA/B0BBBB/" + SlackToken;

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Slack_test_send_goes_over_tls_to_the_pinned_host_via_the_resolve_override(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(store, HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com"));
        var admin = herald.Admin();

        var created = await admin.PostJson("/v1/destinations", new { kind = "slack", name = "ops", url = SlackUrl }).Json(HttpStatusCode.Created);
        var id = created.GetProperty("destination").Str("id");
        var result = await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal("delivered_200", result.Str("status"));

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("POST", request.Method);
        Assert.Equal("hooks.slack.com", request.Host);
        Assert.Equal($"/services/T0AAAA/B0BBBB/{SlackToken}", request.PathAndQuery);
        Assert.StartsWith("application/json", request.Headers["content-type"]);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Contains("Test notification", body.Str("text"));

        var after = await admin.GetAsync($"/v1/destinations/{id}").Json(HttpStatusCode.OK);
        Assert.Equal("delivered_200", after.Str("last_delivery_status"));
        Assert.NotEqual(JsonValueKind.Null, after.GetProperty("last_delivery_at").ValueKind);
        Assert.DoesNotContain(SlackToken, herald.Logs.All);
    }

    [Fact]
    public async Task Custom_webhook_gets_signed_envelope_custom_headers_and_chosen_method()
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);

        var created = await herald.Admin().PostJson("/v1/destinations", new
        {
            kind = "webhook", url = $"https://receiver.test:{receiver.Port}/hook?x=1", method = "PUT",
            headers = new Dictionary<string, string> { ["X-Api-Token"] = "header-secret-value" },
        }).Json(HttpStatusCode.Created);
        var secret = created.Str("signing_secret");
        Assert.StartsWith("whsec_", secret);
        var id = created.GetProperty("destination").Str("id");
        Assert.True(created.GetProperty("destination").GetProperty("signed").GetBoolean());

        var again = await herald.Admin().GetAsync($"/v1/destinations/{id}");
        Assert.DoesNotContain(secret, await again.Content.ReadAsStringAsync());
        Assert.DoesNotContain("header-secret-value", await again.Content.ReadAsStringAsync());

        var result = await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("delivered_200", result.Str("status"));
        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("PUT", request.Method);
        Assert.Equal("/hook?x=1", request.PathAndQuery);
        Assert.Equal("header-secret-value", request.Headers["x-api-token"]);
        Assert.StartsWith("v1,", request.Headers["webhook-signature"]);
        Assert.Matches("^[0-9a-f]{64}$", request.Headers["x-herald-signature"]);
        var envelope = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("herald", envelope.Str("source"));
        Assert.Equal("test.ping", envelope.Str("type"));
        Assert.Equal(request.Headers["webhook-id"], envelope.Str("id"));
    }

    public static TheoryData<string, string> ReceiverBehaviours => new()
    {
        { "500", "http_500" },
        { "410", "http_410" },
        { "429", "http_429" },
        { "302", "redirect_refused" },
        { "202", "delivered_202" },
        { "big-body", "delivered_200" },
        { "slow", "timeout" },
        { "reset", "connect_error" },
    };

    [Theory, MemberData(nameof(ReceiverBehaviours))]
    public async Task Each_receiver_failure_becomes_a_coarse_outcome_without_address_or_url(string behaviour, string outcome)
    {
        await using var receiver = await TestReceiver.StartAsync();
        receiver.Respond = behaviour switch
        {
            "302" => context => { context.Response.StatusCode = 302; context.Response.Headers.Location = "/elsewhere"; return Task.CompletedTask; },
            "big-body" => context => context.Response.Body.WriteAsync(new byte[1024 * 1024]).AsTask(),
            "slow" => async context => await Task.Delay(TimeSpan.FromSeconds(10), context.RequestAborted),
            "reset" => context => { context.Abort(); return Task.CompletedTask; },
            _ => context => { context.Response.StatusCode = int.Parse(behaviour); return context.Response.WriteAsync("nope"); },
        };
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com");
        settings["Herald:Delivery:Timeout"] = "00:00:01";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);

        var id = (await herald.Admin().PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl }).Json(HttpStatusCode.Created))
            .GetProperty("destination").Str("id");
        var response = await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null);
        var text = await response.Content.ReadAsStringAsync();
        var result = await response.Json(HttpStatusCode.OK);
        Assert.Equal(outcome, result.Str("status"));
        Assert.Equal(outcome.StartsWith("delivered_"), result.GetProperty("ok").GetBoolean());
        Assert.DoesNotContain("127.0.0.1", text);
        Assert.DoesNotContain(SlackToken, text);
        Assert.DoesNotContain(SlackToken, herald.Logs.All);
        Assert.DoesNotContain($"127.0.0.1:{receiver.Port}", herald.Logs.All);
        if (behaviour == "302")
        {
            await Task.Delay(200);
            Assert.Single(receiver.Received); // the redirect was not followed
        }
        var after = await herald.Admin().GetAsync($"/v1/destinations/{id}").Json(HttpStatusCode.OK);
        Assert.Equal(outcome, after.Str("last_delivery_status"));
    }

    [Fact]
    public async Task Untrusted_certificate_is_a_tls_error_and_closed_port_a_connect_error()
    {
        await using var untrusted = await TestReceiver.StartAsync(certificate: TestCertificates.Untrusted());
        var closedPort = HeraldProcess.FreePort();
        var settings = HeraldFactory.ReceiverSettings(untrusted.Port, "hooks.slack.com");
        settings["Herald:Delivery:Resolve:1"] = $"discord.com:443=127.0.0.1:{closedPort}";
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, settings);

        var slack = (await herald.Admin().PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl }).Json(HttpStatusCode.Created))
            .GetProperty("destination").Str("id");
        Assert.Equal("tls_error", (await herald.Admin().PostAsync($"/v1/destinations/{slack}/test", null).Json(HttpStatusCode.OK)).Str("status"));
        Assert.Empty(untrusted.Received);

        var discord = (await herald.Admin().PostJson("/v1/destinations", new { kind = "discord", url = "https://discord.com/api/webhooks/1/tok" })
            .Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");
        Assert.Equal("connect_error", (await herald.Admin().PostAsync($"/v1/destinations/{discord}/test", null).Json(HttpStatusCode.OK)).Str("status"));
    }

    [Fact]
    public async Task Dns_rebinding_between_install_and_send_is_refused_at_connect_time()
    {
        await using var receiver = await TestReceiver.StartAsync();
        FakeResolver? resolver = null;
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite,
            new() { ["Herald:Delivery:ExtraCaCertificates"] = TestCertificates.CaPemPath },
            services => services.AddSingleton<HostResolver>(provider =>
                resolver = new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>())));
        _ = herald.Server;
        resolver = (FakeResolver)herald.Services.GetRequiredService<HostResolver>();
        resolver.Answers["rebind.example.com"] = [IPAddress.Parse("93.184.216.34")];

        var id = (await herald.Admin().PostJson("/v1/destinations", new { kind = "webhook", url = $"https://rebind.example.com:{receiver.Port}/hook" })
            .Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");

        // herald.ssrf.blocked counts it at the connect stage (this instance's meter only: tests run side by side).
        var meter = herald.Services.GetRequiredService<Herald.Observability.HeraldMetrics>().Meter;
        var connectBlocks = 0L;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "herald.ssrf.blocked") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "stage" && (string?)tag.Value == "connect") Interlocked.Add(ref connectBlocks, value);
        });
        listener.Start();

        resolver.Answers["rebind.example.com"] = [IPAddress.Loopback]; // the attacker's DNS now answers 127.0.0.1
        var result = await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("blocked_destination", result.Str("status"));
        Assert.Equal(1, Interlocked.Read(ref connectBlocks));
        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Empty(receiver.Received);

        resolver.Answers.Remove("rebind.example.com");
        Assert.Equal("dns_error", (await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK)).Str("status"));
    }

    [Theory]
    [InlineData("::ffff:0:127.0.0.1")]
    [InlineData("::ffff:0:169.254.169.254")]
    [InlineData("::ffff:0:10.0.0.1")]
    [InlineData("::ffff:0:0.0.0.0")]
    [InlineData("64:ff9b:1::5db8:d822")]
    [InlineData("2001:20::1")]
    [InlineData("2001:2::1")]
    [InlineData("3fff::1")]
    [InlineData("5f00::1")]
    [InlineData("100:0:0:1::1")]
    public async Task A_name_whose_aaaa_answer_turns_into_a_special_purpose_address_is_blocked_at_connect_time(string aaaa)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite,
            new() { ["Herald:Delivery:ExtraCaCertificates"] = TestCertificates.CaPemPath },
            services => services.AddSingleton<HostResolver>(provider => new FakeResolver(provider.GetRequiredService<IOptions<Herald.Options.HeraldOptions>>())));
        _ = herald.Server;
        var resolver = (FakeResolver)herald.Services.GetRequiredService<HostResolver>();
        resolver.Answers["rebind6.example.com"] = [IPAddress.Parse("2606:2800:220:1:248:1893:25c8:1946")];
        var id = await herald.Admin().CreateDestinationAsync(new { kind = "webhook", url = $"https://rebind6.example.com:{receiver.Port}/hook" });

        resolver.Answers["rebind6.example.com"] = [IPAddress.Parse(aaaa)];
        var result = await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("blocked_destination", result.Str("status"));
        Assert.Empty(receiver.Received);
    }

    [Fact]
    public async Task A_resolve_override_to_loopback_is_still_blocked_without_an_allowed_network()
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new()
        {
            ["Herald:Delivery:Resolve:0"] = $"hooks.slack.com:443=127.0.0.1:{receiver.Port}",
            ["Herald:Delivery:ExtraCaCertificates"] = TestCertificates.CaPemPath,
        });
        var id = (await herald.Admin().PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl }).Json(HttpStatusCode.Created))
            .GetProperty("destination").Str("id");
        Assert.Equal("blocked_destination", (await herald.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK)).Str("status"));
        Assert.Empty(receiver.Received);
    }
}
