using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Surfaces;

/// <summary>
/// Seed 002 shows the URL of a webhook registered through it, to admin keys only. Members, and every destination whose URL was
/// set elsewhere (/v1/destinations, the marketplace, or a later change there), get url: null with host and fingerprint.
/// </summary>
public sealed class WebhookVisibilityTests
{
    private const string SeedUrl = "https://93.184.216.34/seed/SEEDTOKEN";
    private const string ApiUrl = "https://93.184.216.35/api/APITOKEN";
    private const string MarketUrl = "https://93.184.216.36/market/MARKETTOKEN";

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Urls_are_shown_to_admins_for_seed_webhooks_only(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var member = herald.ClientWithKey((await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m", role = "member" })
            .Json(HttpStatusCode.Created)).Str("key"));
        var webhooks = $"/projects/{project}/integrations/webhooks";

        // Registered through seed 002: the create response shows the URL to the admin who sent it.
        var seed = await admin.PostJson(webhooks, new { url = SeedUrl, events = new[] { "db.insert" } }).Json(HttpStatusCode.Created);
        Assert.Equal(SeedUrl, seed.Str("url"));
        AssertHostAndFingerprint(seed, "93.184.216.34");
        var seedId = seed.Str("id");

        // Created through /v1/destinations and through the marketplace.
        var apiId = await admin.CreateDestinationAsync(new { kind = "webhook", name = "api hook", url = ApiUrl });
        await admin.PostJson("/v2/marketplace/installations", new { listing_slug = "custom-webhook", name = "market hook", url = MarketUrl })
            .Json(HttpStatusCode.Created);
        var marketId = (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .Single(d => d.Str("name") == "market hook").Str("id");

        // Admin: list and single GET show the seed webhook's URL and no other.
        var adminList = await admin.GetAsync(webhooks).Json(HttpStatusCode.OK);
        var byId = adminList.GetProperty("data").EnumerateArray().ToDictionary(w => w.Str("id"));
        Assert.Equal(3, byId.Count);
        Assert.Equal(SeedUrl, byId[seedId].Str("url"));
        AssertHidden(byId[apiId], "93.184.216.35");
        AssertHidden(byId[marketId], "93.184.216.36");
        Assert.Equal(SeedUrl, (await admin.GetAsync($"{webhooks}/{seedId}").Json(HttpStatusCode.OK)).Str("url"));
        AssertHidden(await admin.GetAsync($"{webhooks}/{apiId}").Json(HttpStatusCode.OK), "93.184.216.35");
        AssertHidden(await admin.GetAsync($"{webhooks}/{marketId}").Json(HttpStatusCode.OK), "93.184.216.36");
        Assert.DoesNotContain("APITOKEN", adminList.GetRawText());
        Assert.DoesNotContain("MARKETTOKEN", adminList.GetRawText());
        Assert.DoesNotContain("(sealed)", adminList.GetRawText());

        // Member: nothing shows a URL, the seed webhook included.
        var memberList = await member.GetAsync(webhooks).Json(HttpStatusCode.OK);
        Assert.All(memberList.GetProperty("data").EnumerateArray(), w => Assert.Equal(JsonValueKind.Null, w.GetProperty("url").ValueKind));
        Assert.DoesNotContain("TOKEN", memberList.GetRawText());
        AssertHidden(await member.GetAsync($"{webhooks}/{seedId}").Json(HttpStatusCode.OK), "93.184.216.34");
        AssertHidden(await member.GetAsync($"{webhooks}/{apiId}").Json(HttpStatusCode.OK), "93.184.216.35");
        AssertHidden(await member.GetAsync($"{webhooks}/{marketId}").Json(HttpStatusCode.OK), "93.184.216.36");

        // Update through seed 002: the admin sees the URL of a seed webhook, and of one whose URL the seed routes just set...
        var updated = await admin.PutAsync($"{webhooks}/{seedId}", JsonContent.Create(new { events = new[] { "db.update" } })).Json(HttpStatusCode.OK);
        Assert.Equal(SeedUrl, updated.Str("url"));
        var moved = await admin.PutAsync($"{webhooks}/{apiId}", JsonContent.Create(new { url = "https://93.184.216.37/moved" })).Json(HttpStatusCode.OK);
        Assert.Equal("https://93.184.216.37/moved", moved.Str("url"));
        // ...but not of one created elsewhere when only its events change.
        AssertHidden(await admin.PutAsync($"{webhooks}/{marketId}", JsonContent.Create(new { events = new[] { "db.update" } })).Json(HttpStatusCode.OK),
            "93.184.216.36");

        // A URL changed through /v1/destinations is no longer the one registered through the seed: hidden from then on.
        await admin.PatchAsync($"/v1/destinations/{seedId}", JsonContent.Create(new { url = "https://93.184.216.38/elsewhere/OTHERTOKEN" }))
            .Json(HttpStatusCode.OK);
        var afterPatch = await admin.GetAsync($"{webhooks}/{seedId}").Json(HttpStatusCode.OK);
        AssertHidden(afterPatch, "93.184.216.38");
        Assert.DoesNotContain("OTHERTOKEN", (await admin.GetAsync(webhooks).Json(HttpStatusCode.OK)).GetRawText());
    }

    private static void AssertHostAndFingerprint(JsonElement webhook, string host)
    {
        Assert.Equal(host, webhook.Str("destination_host"));
        Assert.StartsWith("mkfp_", webhook.Str("secret_fingerprint"));
    }

    private static void AssertHidden(JsonElement webhook, string host)
    {
        Assert.Equal(JsonValueKind.Null, webhook.GetProperty("url").ValueKind);
        AssertHostAndFingerprint(webhook, host);
    }
}
