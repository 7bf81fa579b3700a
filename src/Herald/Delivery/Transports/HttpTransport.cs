using Herald.Connectors;
using Herald.Net;

namespace Herald.Delivery.Transports;

/// <summary>
/// HTTP, through <see cref="SafeHttpSender"/> (checked addresses, no redirects, bounded time and answer): the destination's
/// method, its custom headers, User-Agent, CloudEvents binary-mode ce-* headers when the payload has them, and the
/// signature headers when the destination has signing secrets. HTTP's rules end here: 2xx is delivered, 410 Gone fails for
/// good and disables the destination, 429/503 pass their Retry-After on, anything else is worth another try.
/// </summary>
public sealed class HttpTransport(SafeHttpSender sender) : IDestinationTransport
{
    public const string UserAgent = "Herald/1.0";

    public async Task<TransportOutcome> SendAsync(TransportRequest request, CancellationToken ct)
    {
        var (d, opened, payload) = (request.Destination, request.Opened, request.Payload);
        var headers = new List<KeyValuePair<string, string>>(opened.Headers) { new("User-Agent", UserAgent) };
        if (payload.CloudEventAttributes is { } attributes)
            foreach (var (name, value) in attributes) headers.Add(new("ce-" + name, CloudEventsFormat.HttpHeaderValue(value)));
        var secrets = opened.SigningSecrets(d, request.Now);
        if (secrets.Count > 0) headers.AddRange(Signer.Headers(request.Message.EventId, request.Now, payload.Body, secrets));
        var result = await sender.SendAsync(HttpMethod.Parse(d.HttpMethod), opened.Url, payload.Body, payload.ContentType, headers, ct,
            request.Timeout);
        return ToOutcome(result);
    }

    /// <summary>HTTP's status rules, in one place.</summary>
    public static TransportOutcome ToOutcome(SendResult result)
    {
        var outcome = result switch
        {
            { Delivered: true, StatusCode: { } ok } => TransportOutcome.Success(ok.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Duration),
            { StatusCode: 410 } => TransportOutcome.Final(result.Outcome, result.Duration, disableReason: "it answered 410 Gone"),
            { StatusCode: 429 or 503 } => TransportOutcome.Retryable(result.Outcome, result.Duration, result.RetryAfter),
            _ => TransportOutcome.Retryable(result.Outcome, result.Duration) with { HeraldSide = result.Outcome == Outcomes.RequestError },
        };
        return outcome with { StatusCode = result.StatusCode, ResponseBody = result.ResponseBody, ResponseHeaders = result.ResponseHeaders };
    }
}
