using Herald.Catalog;
using Herald.Common;
using Herald.Destinations;

namespace Herald.Surfaces.Marketplace;

public sealed record ListingResponse(
    string Object, string Slug, string Name, string Category, string Destination, string Description, IReadOnlyList<string> RequiredFields,
    string PayloadFormat)
{
    public static ListingResponse From(Listing l) => new("marketplace_listing", l.Slug, l.Name, l.Category, l.Destination, l.Description, ["url"],
        l.Kind switch
        {
            DestinationKinds.Slack => "{ \"text\": \"...\" }",
            DestinationKinds.Discord => "{ \"content\": \"...\", \"allowed_mentions\": { \"parse\": [] } }",
            DestinationKinds.Teams => "Adaptive Card in a Workflows message",
            DestinationKinds.Zapier => "flattened JSON",
            _ => "{ source, type, title, body, data } signed with Standard Webhooks headers",
        });
}

/// <summary>An install; <c>secret</c> (whsec_…) chooses a custom webhook's signing secret, otherwise Herald generates one.</summary>
public sealed record InstallRequest(string? ListingSlug, string? Name, string? Url, List<string>? Events, InstallFilters? Filters, string? Secret = null);

/// <summary>categories, and data: a payload filter on the event (see docs/delivery.md).</summary>
public sealed record InstallFilters(List<string>? Categories, System.Text.Json.Nodes.JsonObject? Data = null);

public sealed record UpdateInstallationRequest(string? Status, string? Name);

/// <summary>An installation exactly as the marketplace shows it: host and fingerprint, never the URL.</summary>
public sealed record InstallationResponse(
    string Id, string Object, string ListingSlug, string Name, string Status, string DestinationHost, string SecretFingerprint,
    string? LastDeliveryStatus, DateTime? LastDeliveryAt,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? SigningSecret = null)
{
    /// <summary>The install answer: a custom webhook's generated signing secret is in it, once; no later answer shows it.</summary>
    public static InstallationResponse Installed(DestinationRecord d, string? generatedSecret) => From(d) with { SigningSecret = generatedSecret };

    public static InstallationResponse From(DestinationRecord d) => new(
        InstallationIds.From(d.Id), "marketplace_installation", Listings.ByKind(d.Kind).Slug, d.Name, d.Status, d.DestinationHost,
        d.UrlFingerprint, d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt));
}

/// <summary>Marketplace ids are the destination's UUID as "mki_" + 32 hex digits.</summary>
public static class InstallationIds
{
    public static string From(string destinationId) => "mki_" + Guid.Parse(destinationId).ToString("N");

    public static string? ToDestinationId(string id) =>
        id.StartsWith("mki_", StringComparison.Ordinal) && Guid.TryParseExact(id[4..], "N", out var guid) ? guid.ToString() : null;
}

public sealed record TestResponse(bool Ok, string Status);
