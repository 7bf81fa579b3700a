namespace Herald.Net;

/// <summary>One HTTP try: the coarse outcome, the status code when a response came, how long it took, and at most 16 KiB of the body.</summary>
public sealed record SendResult(string Outcome, int? StatusCode, TimeSpan Duration, string? ResponseBody, TimeSpan? RetryAfter)
{
    public bool Delivered => Outcome.StartsWith("delivered_", StringComparison.Ordinal);
}
