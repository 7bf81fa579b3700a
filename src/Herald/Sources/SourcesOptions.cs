namespace Herald.Sources;

/// <summary>Herald:Sources (env Herald__Sources__...): inbound webhooks at /in/{token}.</summary>
public sealed class SourcesOptions
{
    /// <summary>Requests one source takes per second (a burst of as many); more are answered 429.</summary>
    public int RatePerSecond { get; set; } = 50;

    /// <summary>How far a signed timestamp (Stripe, Standard Webhooks) may be from Herald's clock, either way.</summary>
    public TimeSpan TimestampTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a provider event id is remembered: a retry of it within this time creates nothing.</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// The scheme and host providers reach Herald at (https://hooks.example.com), used to build inbound URLs. Empty: the
    /// scheme and host of the API request that asks for the URL.
    /// </summary>
    public string? PublicBaseUrl { get; set; }
}

public static class SourcesOptionsValidator
{
    public static void Validate(List<string> errors, SourcesOptions o)
    {
        if (o.RatePerSecond is < 1 or > 100_000) errors.Add("Herald:Sources:RatePerSecond must be between 1 and 100000.");
        if (o.TimestampTolerance < TimeSpan.FromSeconds(1) || o.TimestampTolerance > TimeSpan.FromHours(1))
            errors.Add("Herald:Sources:TimestampTolerance must be between 00:00:01 and 01:00:00.");
        if (o.DeduplicationWindow < TimeSpan.FromMinutes(1)) errors.Add("Herald:Sources:DeduplicationWindow must be at least 00:01:00.");
        if (!string.IsNullOrEmpty(o.PublicBaseUrl)
            && (!Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo)))
            errors.Add("Herald:Sources:PublicBaseUrl must be an absolute http(s) URL without query, fragment or credentials, e.g. https://hooks.example.com.");
    }
}
