using System.Net;
using Herald.Destinations.Kinds;
using Herald.Tests.Destinations;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Console;

/// <summary>The console's marketplace and connectors pages are built from the registered kinds, settings included.</summary>
public sealed class ConsoleKindsTests
{
    [Fact]
    public async Task A_registered_kind_gets_a_card_with_its_settings_and_installs_with_them()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new()
        {
            ["Herald:Delivery:Worker"] = "false",
            ["Herald:Delivery:Resolve:0"] = "loft.example:7777=93.184.216.34:7777",
        }, services => services.AddDestinationKind<PigeonKind>());
        var console = await ConsoleClient.SignInAsync(herald, HeraldFactory.AdminKey);

        var marketplace = await console.PageAsync("/console");
        Assert.Contains("data-listing=\"pigeon-post\"", marketplace);
        Assert.Contains("name=\"settings[loft]\"", marketplace);
        Assert.Contains("Where the pigeon lands.", marketplace);
        Assert.Contains("name=\"settings[format]\"", marketplace); // the custom webhook's format, as a choice
        Assert.Contains("<option value=\"cloudevents-binary\">cloudevents-binary</option>", marketplace);

        // A bad setting is answered next to the field, and nothing is installed.
        var refused = await console.PostFormAsync("/console", new()
        {
            ["slug"] = "pigeon-post", ["url"] = "pigeon://loft.example/roof", ["settings[loft]"] = "Attic",
        }, "/console?handler=Install");
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("loft: must be lower-case letters.", html);
        Assert.Contains("value=\"Attic\"", html); // kept
        Assert.Equal(0, (await herald.Admin().GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());

        // A card without settings still answers a bad URL next to its field (no other form field is taken for a setting).
        var slack = await console.PostFormAsync("/console", new()
        {
            ["slug"] = "slack", ["name"] = "", ["url"] = "https://evil.example.com/services/T0/B0/X", ["events"] = "", ["categories"] = "",
        }, "/console?handler=Install");
        Assert.Contains("id=\"slack.url-error\" role=\"alert\">must be a Slack incoming-webhook URL", await slack.Content.ReadAsStringAsync());

        foreach (var form in new Dictionary<string, string>[]
        {
            new() { ["slug"] = "pigeon-post", ["url"] = "pigeon://loft.example/roof", ["settings[loft]"] = "attic" },
            new() { ["slug"] = "custom-webhook", ["url"] = "https://93.184.216.34/h", ["settings[format]"] = "cloudevents", ["settings[source]"] = "" },
            new() { ["slug"] = "custom-webhook", ["url"] = "https://93.184.216.34/h2", ["settings[format]"] = "envelope" },
        })
            Assert.Equal(HttpStatusCode.SeeOther, (await console.PostFormAsync("/console", form, "/console?handler=Install")).StatusCode);

        var destinations = (await herald.Admin().GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("attic", destinations[0].Str("loft"));
        Assert.Equal("cloudevents", destinations[1].Str("format"));
        Assert.False(destinations[1].TryGetProperty("source", out _)); // left empty: not set
        Assert.False(destinations[2].TryGetProperty("format", out _)); // the default: not stored

        var connectors = await console.PageAsync("/console/connectors");
        Assert.Contains("<td>Pigeon post</td>", connectors);
        Assert.Contains("loft: attic", connectors);
        Assert.Contains("format: cloudevents", connectors);
    }
}
