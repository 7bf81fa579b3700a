using System.Text.Json;
using System.Text.Json.Serialization;
using Herald.Common;
using Herald.Destinations;
using Herald.Destinations.Kinds;

namespace Herald.Surfaces.Marketplace;

public sealed record ListingResponse(
    string Object, string Slug, string Name, string Category, string Destination, string Description, IReadOnlyList<string> RequiredFields,
    string PayloadFormat)
{
    public static ListingResponse From(DestinationKind k) => new("marketplace_listing", k.Listing.Slug, k.Listing.Name, k.Listing.Category,
        k.Listing.Destination, k.Listing.Description, ["url"], k.Listing.PayloadFormat);
}

/// <summary>
/// An install; <c>secret</c> (whsec_…) chooses a custom webhook's signing secret, otherwise Herald generates one. Fields besides
/// these are the listing's settings (e.g. "format" for a custom webhook).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Skip)]
public sealed record InstallRequest(string? ListingSlug, string? Name, string? Url, List<string>? Events, InstallFilters? Filters, string? Secret = null)
{
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }
}

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
    /// <summary>The settings that were set (e.g. "format"), beside the other fields; none for the seed's listings' defaults.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Settings { get; init; }

    /// <summary>The install answer: a custom webhook's generated signing secret is in it, once; no later answer shows it.</summary>
    public static InstallationResponse Installed(DestinationRecord d, DestinationKind kind, string? generatedSecret) =>
        From(d, kind) with { SigningSecret = generatedSecret };

    public static InstallationResponse From(DestinationRecord d, DestinationKind kind) => new(
        InstallationIds.From(d.Id), "marketplace_installation", kind.Listing.Slug, d.Name, d.Status, d.DestinationHost,
        d.UrlFingerprint, d.LastDeliveryStatus, Clock.FromMs(d.LastDeliveryAt))
    {
        Settings = DestinationResponse.SettingsView(d),
    };
}

/// <summary>Marketplace ids are the destination's UUID as "mki_" + 32 hex digits.</summary>
public static class InstallationIds
{
    public static string From(string destinationId) => "mki_" + Guid.Parse(destinationId).ToString("N");

    public static string? ToDestinationId(string id) =>
        id.StartsWith("mki_", StringComparison.Ordinal) && Guid.TryParseExact(id[4..], "N", out var guid) ? guid.ToString() : null;
}

public sealed record TestResponse(bool Ok, string Status);
