namespace Herald.Net;

/// <summary>One HTTP try: the coarse outcome, the status code when a response came, how long it took, and at most 16 KiB of the body.</summary>
public sealed record SendResult(string Outcome, int? StatusCode, TimeSpan Duration, string? ResponseBody, TimeSpan? RetryAfter)
{
    /// <summary>The response's headers as "Name: value" lines (Set-Cookie values withheld), at most 4 KiB; null without a response.</summary>
    public string? ResponseHeaders { get; init; }

    public bool Delivered => Outcome.StartsWith("delivered_", StringComparison.Ordinal);
}
