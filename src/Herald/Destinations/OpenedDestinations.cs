using System.Collections.Concurrent;

namespace Herald.Destinations;

/// <summary>
/// Destinations opened for sending (URL, extra headers, signing secrets), kept while their sealed columns and settings are
/// unchanged, so a send does not decrypt three values and parse a URL each time. A new URL, a rotated secret, a re-seal under
/// another master key or changed settings make a new opening: a transport that pools connections per destination re-opens
/// them when the opening it pooled them for is no longer the current one.
/// </summary>
public sealed class OpenedDestinations(DestinationService destinations)
{
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, OpenedDestination> _opened = new();

    public OpenedDestination Open(DestinationRecord d)
    {
        if (_opened.TryGetValue(d.Id, out var hit) && hit.IsOpeningOf(d)) return hit;
        if (_opened.Count >= MaxEntries) _opened.Clear();
        var opened = new OpenedDestination(d.UrlSealed, d.HeadersSealed, d.SigningSecretSealed, d.PreviousSecretSealed, d.Settings,
            new Uri(destinations.OpenUrl(d)), destinations.OpenHeaders(d).ToList(), destinations.OpenSigningSecret(d),
            d.PreviousSecretSealed is null ? null : destinations.OpenPreviousSigningSecret(d));
        _opened[d.Id] = opened;
        return opened;
    }
}

public sealed record OpenedDestination(
    string UrlSealed, string? HeadersSealed, string? SecretSealed, string? PreviousSecretSealed, string? Settings,
    Uri Url, IReadOnlyList<KeyValuePair<string, string>> Headers, string? Secret, string? PreviousSecret)
{
    public bool IsOpeningOf(DestinationRecord d) =>
        UrlSealed == d.UrlSealed && HeadersSealed == d.HeadersSealed && SecretSealed == d.SigningSecretSealed
        && PreviousSecretSealed == d.PreviousSecretSealed && Settings == d.Settings;

    /// <summary>The secrets that sign now: the current one, and the previous one while its rotation overlap lasts.</summary>
    public IReadOnlyList<string> SigningSecrets(DestinationRecord d, DateTimeOffset now)
    {
        var secrets = new List<string>(2);
        if (Secret is not null) secrets.Add(Secret);
        if (PreviousSecret is not null && d.PreviousSecretExpiresAt > now.ToUnixTimeMilliseconds()) secrets.Add(PreviousSecret);
        return secrets;
    }
}
