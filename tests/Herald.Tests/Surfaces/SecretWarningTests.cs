using System.Net;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>
/// Seed 002's literal secret (whsec_your_signing_secret) is not base64 after the prefix: Herald accepts it and signs the hex header
/// with it, but Standard Webhooks libraries cannot use it, and the answer says so.
/// </summary>
public sealed class SecretWarningTests
{
    private const string SeedSecret = "whsec_your_signing_secret";
    private const string Base64Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    [Fact]
    public async Task A_non_base64_secret_is_accepted_with_a_warning_that_points_to_the_hex_header()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var webhooks = $"/projects/{project}/integrations/webhooks";

        var seed = await admin.PostJson(webhooks, new { url = "https://93.184.216.34/a", events = new[] { "db.insert" }, secret = SeedSecret })
            .Json(HttpStatusCode.Created);
        AssertWarns(seed);
        Assert.DoesNotContain(SeedSecret, seed.GetRawText());

        var api = await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/b", secret = SeedSecret })
            .Json(HttpStatusCode.Created);
        AssertWarns(api);
        Assert.DoesNotContain(SeedSecret, api.GetRawText());

        // A base64 secret, or a generated one, needs no warning.
        Assert.False((await admin.PostJson(webhooks, new { url = "https://93.184.216.34/c", events = new[] { "db.insert" }, secret = Base64Secret })
            .Json(HttpStatusCode.Created)).TryGetProperty("warnings", out _));
        Assert.False((await admin.PostJson(webhooks, new { url = "https://93.184.216.34/d", events = new[] { "db.insert" } })
            .Json(HttpStatusCode.Created)).TryGetProperty("warnings", out _));
        Assert.False((await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/e", secret = Base64Secret })
            .Json(HttpStatusCode.Created)).TryGetProperty("warnings", out _));
        Assert.False((await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "https://93.184.216.34/f" })
            .Json(HttpStatusCode.Created)).TryGetProperty("warnings", out _));

        // Rotating to a chosen secret warns the same way; rotating to a generated one does not.
        var rotated = api.GetProperty("destination").Str("id");
        AssertWarns(await admin.PostJson($"/v1/destinations/{rotated}/rotate-secret", new { secret = SeedSecret }).Json(HttpStatusCode.OK));
        Assert.False((await admin.PostJson($"/v1/destinations/{rotated}/rotate-secret", new { }).Json(HttpStatusCode.OK))
            .TryGetProperty("warnings", out _));

        // Reads carry no warnings: they are about the secret just chosen.
        Assert.DoesNotContain("warnings", (await admin.GetAsync(webhooks).Json(HttpStatusCode.OK)).GetRawText());
    }

    private static void AssertWarns(JsonElement response)
    {
        var warning = Assert.Single(response.GetProperty("warnings").EnumerateArray()).GetString()!;
        Assert.Contains("base64", warning);
        Assert.Contains("Standard Webhooks", warning);
        Assert.Contains("X-Herald-Signature", warning);
    }
}
