using System.Net;
using System.Security.Cryptography;
using System.Text;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>A marketplace custom webhook is signed: its secret is shown once on install, or chosen by the caller.</summary>
public sealed class MarketplaceSecretTests
{
    private static void AssertSignedWith(ReceivedRequest request, string secret)
    {
        var signed = $"{request.Headers["webhook-id"]}.{request.Headers["webhook-timestamp"]}.{request.Body}";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret[6..]), Encoding.UTF8.GetBytes(signed)));
        Assert.Contains($"v1,{expected}", request.Headers["webhook-signature"].Split(' '));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task The_install_answer_shows_the_generated_secret_once_and_deliveries_verify_with_it(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "receiver.test", "hooks.slack.com");
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        await using var herald = await HeraldFactory.CreateAsync(store, settings);
        var admin = herald.Admin();

        var installed = await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "custom-webhook", url = "https://receiver.test/generated" })
            .Json(HttpStatusCode.Created);
        var secret = installed.Str("signing_secret");
        Assert.Matches("^whsec_[A-Za-z0-9+/]{32}$", secret);
        var id = installed.Str("id");
        var shown = await (await admin.GetAsync($"/v2/marketplace/installations/{id}")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("signing_secret", shown);
        Assert.DoesNotContain(secret, shown);
        Assert.DoesNotContain(secret, await (await admin.GetAsync("/v2/marketplace/installations")).Content.ReadAsStringAsync());

        var chosen = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var withChosen = await admin.PostJson("/v2/marketplace/installations",
            new { listing_slug = "custom-webhook", url = "https://receiver.test/chosen", secret = chosen }).Json(HttpStatusCode.Created);
        Assert.False(withChosen.TryGetProperty("signing_secret", out _)); // the caller has it; it is not echoed

        // Other listings are not signed, so they have no secret to show.
        var slack = await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "slack", url = "https://hooks.slack.com/services/T0/B0/X" })
            .Json(HttpStatusCode.Created);
        Assert.False(slack.TryGetProperty("signing_secret", out _));

        await admin.PublishAsync("db.insert", new { id = 1 });
        var received = await receiver.WaitForAsync(3);
        AssertSignedWith(received.Single(r => r.PathAndQuery == "/generated"), secret);
        AssertSignedWith(received.Single(r => r.PathAndQuery == "/chosen"), chosen);
        Assert.DoesNotContain(secret, herald.Logs.All);
    }

    public static TheoryData<string> BadSecrets => new()
    {
        """{"listing_slug":"custom-webhook","url":"https://receiver.test/x","secret":"not-a-secret"}""",
        """{"listing_slug":"custom-webhook","url":"https://receiver.test/x","secret":"whsec_short"}""",
        """{"listing_slug":"custom-webhook","url":"https://receiver.test/x","secret":"whsec_has spaces in it, which no header can carry"}""",
        """{"listing_slug":"slack","url":"https://hooks.slack.com/services/T0/B0/X","secret":"whsec_c3RhbmRhcmQtd2ViaG9va3Mtc2VjcmV0IQ=="}""",
    };

    [Theory, MemberData(nameof(BadSecrets))]
    public async Task A_bad_secret_is_refused_naming_the_field_and_nothing_is_installed(string body)
    {
        await using var receiver = await TestReceiver.StartAsync();
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, HeraldFactory.ReceiverSettings(receiver.Port, "receiver.test", "hooks.slack.com"));
        var admin = herald.Admin();
        var problem = await admin.PostRaw("/v2/marketplace/installations", body).Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "secret");
        var secret = System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
        Assert.DoesNotContain(secret, problem.GetRawText()); // never echoed
        Assert.Equal(0, (await admin.GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }
}
