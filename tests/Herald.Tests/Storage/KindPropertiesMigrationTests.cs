using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Storage;

/// <summary>
/// Migration 0009 turns the old <c>surface</c> string (and <c>url_set_by</c>) into payload_style, url_visible_to_owner and
/// provider_slot. Destinations are made through each route, the table is put back as it was before 0009 with the values the
/// old code wrote, and the migration runs again on the next start: every row must behave as it did.
/// </summary>
public sealed class KindPropertiesMigrationTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Rows_written_before_0009_keep_their_payloads_url_visibility_and_provider_slot(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com");
        settings["Herald:Delivery:Resolve:1"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Delivery:Worker"] = "false";
        var first = await HeraldFactory.CreateAsync(store, settings);
        var admin = first.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var hook = $"https://receiver.test:{receiver.Port}";

        var marketplace = InstallationToId((await admin.PostJson("/v2/marketplace/installations",
            new { listing_slug = "slack", url = "https://hooks.slack.com/services/T1/B1/MARKET" }).Json(HttpStatusCode.Created)).Str("id"));
        var connectors = (await admin.PostJson("/api/v1/connectors",
            new { type = "slack", name = "c", config = new { webhook_url = "https://hooks.slack.com/services/T2/B2/CONNECT" } }).Json(HttpStatusCode.Created)).Str("uuid");
        await admin.PutAsync($"/projects/{project}/integrations/providers/slack",
            JsonContent.Create(new { webhook_url = "https://hooks.slack.com/services/T3/B3/PROVIDER" })).Json(HttpStatusCode.Created);
        var provider = (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray()
            .Select(d => d.Str("id")).Except([marketplace, connectors]).Single();
        var webhooks = $"/projects/{project}/integrations/webhooks";
        var integrations = (await admin.PostJson(webhooks, new { url = hook + "/integrations", events = new[] { "*" } }).Json(HttpStatusCode.Created)).Str("id");
        var movedAway = (await admin.PostJson(webhooks, new { url = hook + "/moved", events = new[] { "*" } }).Json(HttpStatusCode.Created)).Str("id");
        await admin.PatchRaw($"/v1/destinations/{movedAway}", $$"""{"url":"{{hook}}/moved-by-api"}""").Json(HttpStatusCode.OK);
        var api = await admin.CreateDestinationAsync(new { kind = "webhook", url = hook + "/api" });

        // Back to the shape before 0009, with what the old code stored: surface = the creating route, url_set_by = the
        // route that last set the URL (none for a change through /v1/destinations).
        var old = new (string Id, string Surface, string? UrlSetBy)[]
        {
            (marketplace, "marketplace", "marketplace"), (connectors, "connectors", "connectors"), (provider, "provider", "provider"),
            (integrations, "integrations", "integrations"), (movedAway, "integrations", null), (api, "api", "api"),
        };
        await using (var connection = await first.Services.GetRequiredService<Db>().OpenAsync())
        {
            await connection.ExecuteAsync("DROP INDEX ux_destinations_provider_slot");
            await connection.ExecuteAsync("ALTER TABLE destinations ADD COLUMN surface TEXT NOT NULL DEFAULT ''");
            await connection.ExecuteAsync("ALTER TABLE destinations ADD COLUMN url_set_by TEXT NULL");
            foreach (var (id, surface, urlSetBy) in old)
                await connection.ExecuteAsync("UPDATE destinations SET surface = @surface, url_set_by = @urlSetBy WHERE id = @id", new { id, surface, urlSetBy });
            await connection.ExecuteAsync("CREATE UNIQUE INDEX ux_destinations_provider ON destinations (project_id, kind) WHERE surface = 'provider'");
            foreach (var column in new[] { "payload_style", "url_visible_to_owner", "provider_slot", "settings" })
                await connection.ExecuteAsync($"ALTER TABLE destinations DROP COLUMN {column}");
            Assert.Equal(1, await connection.ExecuteAsync("DELETE FROM schemaversions WHERE scriptname LIKE '%0009_destination_kind_properties.sql'"));
        }
        await first.DisposeStopOnlyAsync();

        settings["Herald:Delivery:Worker"] = "true";
        await using var migrated = first.Restart(settings);
        admin = migrated.Admin();

        // Payloads: the marketplace install keeps seed 000's plain text; the connectors and provider ones keep Block Kit.
        await admin.PublishAsync("user.created", new { id = 1 });
        var received = await receiver.WaitForAsync(6);
        JsonElement Body(string path) => JsonDocument.Parse(received.Single(r => r.PathAndQuery == path).Body).RootElement;
        Assert.Equal(["text"], Body("/services/T1/B1/MARKET").EnumerateObject().Select(p => p.Name));
        Assert.True(Body("/services/T2/B2/CONNECT").TryGetProperty("blocks", out _));
        Assert.True(Body("/services/T3/B3/PROVIDER").TryGetProperty("blocks", out _));
        Assert.Equal("herald", Body("/api").Str("source")); // webhooks keep the envelope

        // URLs: seed 002 shows admins the URLs it set, and no others.
        var listed = (await admin.GetAsync(webhooks).Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToDictionary(w => w.Str("id"));
        Assert.Equal(hook + "/integrations", listed[integrations].Str("url"));
        Assert.Equal(JsonValueKind.Null, listed[movedAway].GetProperty("url").ValueKind);
        Assert.Equal(JsonValueKind.Null, listed[api].GetProperty("url").ValueKind);

        // The provider slot: slack is configured (by the old row), and configuring it again changes that row.
        var providers = (await admin.GetAsync($"/projects/{project}/integrations/providers").Json(HttpStatusCode.OK)).GetProperty("data")
            .EnumerateArray().ToDictionary(p => p.Str("provider"));
        Assert.True(providers["slack"].GetProperty("configured").GetBoolean());
        Assert.False(providers["discord"].GetProperty("configured").GetBoolean());
        await admin.PutAsync($"/projects/{project}/integrations/providers/slack", JsonContent.Create(new { name = "renamed" })).Json(HttpStatusCode.OK);
        Assert.Equal("renamed", (await admin.DestinationAsync(provider)).Str("name"));
        Assert.Equal(6, (await admin.GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    private static string InstallationToId(string installation) => Guid.ParseExact(installation[4..], "N").ToString();
}
