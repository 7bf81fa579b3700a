using Herald.Connectors;
using Herald.Destinations;

namespace Herald.Delivery.Transports;

/// <summary>
/// Carries one rendered message to one destination and says what happened, in terms the delivery worker understands
/// without knowing the wire: delivered, failed but worth another try (with an optional Retry-After), or failed for good.
/// <para>
/// How a new transport plugs in: implement this interface (a singleton; keep pooled connections keyed by destination id
/// and drop them when <see cref="TransportRequest.Opened"/> is no longer the same opening, i.e. the URL or settings changed);
/// name it as the transport of a <see cref="Destinations.Kinds.DestinationKind{TTransport}"/>; the kind's one registration
/// line (<c>services.AddDestinationKind&lt;MyKind&gt;()</c>) registers the transport too. Rules of the wire (HTTP status codes,
/// broker confirms and returns) stay inside the transport: retries, the circuit breaker, auto-disable, the attempt log and
/// the test button only read the <see cref="TransportOutcome"/>. A transport connects only to addresses the network rules
/// allow (<see cref="Net.NetworkRules"/>, <see cref="Net.HostResolver"/>), never throws for the destination's failures
/// (it returns an outcome), and never puts a URL, credential or exception message in an outcome.
/// </para>
/// </summary>
public interface IDestinationTransport
{
    Task<TransportOutcome> SendAsync(TransportRequest request, CancellationToken ct);
}

/// <summary>
/// One send: the destination row, its opened secrets (URL, custom headers, signing secrets), the event as a message, the
/// payload its kind rendered, and now. <paramref name="Kind"/> is the destination's kind (for its settings).
/// </summary>
public sealed record TransportRequest(
    DestinationRecord Destination, OpenedDestination Opened, Message Message, RenderedPayload Payload, DateTimeOffset Now,
    Destinations.Kinds.DestinationKind Kind)
{
    /// <summary>How long this try may take: the destination's own timeout control, or null for Herald:Delivery:Timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The destination's kind-specific settings (e.g. a broker's exchange), defaults applied.</summary>
    public Destinations.Kinds.DestinationSettings Settings => Kind.SettingsOf(Destination);
}

/// <summary>What a transport's try came to.</summary>
public enum TransportVerdict
{
    /// <summary>The destination took the message (HTTP 2xx, a broker's confirm or ack).</summary>
    Delivered,
    /// <summary>Failed; the retry schedule decides when to try again (or that it was the last try).</summary>
    Retry,
    /// <summary>Failed for good: no further try (e.g. 410 Gone, a message the broker cannot route).</summary>
    Final,
}

/// <summary>
/// A transport-neutral outcome. <see cref="Outcome"/> is the short code stored on the attempt and shown as the destination's
/// last delivery status: "delivered_…" when delivered (HTTP: delivered_200), otherwise a reason such as timeout,
/// connect_error, http_500, unroutable, nack, auth_error. Never an address, URL or exception message.
/// </summary>
public sealed record TransportOutcome(TransportVerdict Verdict, string Outcome, TimeSpan Duration)
{
    public const string DeliveredPrefix = "delivered_";

    /// <summary>The protocol's status code, when there is one (HTTP).</summary>
    public int? StatusCode { get; init; }

    /// <summary>At most the configured bytes of what the destination answered (HTTP response body), for the attempt log.</summary>
    public string? ResponseBody { get; init; }

    /// <summary>What the destination answered in its headers (HTTP), cookies withheld and capped, for the attempt inspector.</summary>
    public string? ResponseHeaders { get; init; }

    /// <summary>How long the destination asked Herald to wait (e.g. HTTP 429/503 Retry-After); the schedule bounds it.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>With <see cref="TransportVerdict.Final"/>: the destination is gone for good (HTTP 410), so it is disabled.</summary>
    public bool DisableDestination { get; init; }

    /// <summary>Why the destination was disabled, for the herald.destination.disabled notice ("it answered 410 Gone").</summary>
    public string? DisableReason { get; init; }

    /// <summary>The failure happened inside Herald (e.g. a header the HTTP stack refused): not counted by the circuit breaker.</summary>
    public bool HeraldSide { get; init; }

    public bool Delivered => Verdict == TransportVerdict.Delivered;

    /// <summary>Delivered; <paramref name="detail"/> follows "delivered_" (HTTP: the status code; brokers e.g. "confirmed").</summary>
    public static TransportOutcome Success(string detail, TimeSpan duration) => new(TransportVerdict.Delivered, DeliveredPrefix + detail, duration);

    /// <summary>Failed; worth another try by the schedule, after at least <paramref name="retryAfter"/> if the destination asked.</summary>
    public static TransportOutcome Retryable(string reason, TimeSpan duration, TimeSpan? retryAfter = null) =>
        new(TransportVerdict.Retry, reason, duration) { RetryAfter = retryAfter };

    /// <summary>Failed for good; with <paramref name="disableReason"/> the destination is disabled too.</summary>
    public static TransportOutcome Final(string reason, TimeSpan duration, string? disableReason = null) =>
        new(TransportVerdict.Final, reason, duration) { DisableDestination = disableReason is not null, DisableReason = disableReason };
}
