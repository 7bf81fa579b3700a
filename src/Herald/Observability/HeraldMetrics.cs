using System.Diagnostics;
using System.Diagnostics.Metrics;
using Herald.Delivery;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Observability;

/// <summary>
/// Herald's own instruments, on one <see cref="Meter"/> named "Herald". Features call these methods; nothing outside this
/// folder knows a metrics type. Labels are bounded and never carry a URL, a customer host, a key, a secret or event data:
/// event types only when they are in the catalog, destination kinds, coarse outcome classes, and destination ids only when
/// Herald:Metrics:PerDestination is on.
/// </summary>
public sealed class HeraldMetrics
{
    public const string MeterName = "Herald";

    /// <summary>Seconds: from 5 ms to 10 min, for a publish or one HTTP try.</summary>
    private static readonly IReadOnlyList<double> ShortBuckets =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

    /// <summary>Seconds: from 50 ms to 2 days, for publish-to-delivery lag across retries.</summary>
    private static readonly IReadOnlyList<double> LagBuckets =
        [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400, 172800];

    private readonly Counter<long> _published;
    private readonly Histogram<double> _publishDuration;
    private readonly Counter<long> _attempts;
    private readonly Histogram<double> _attemptDuration;
    private readonly Histogram<double> _lag;
    private readonly Counter<long> _finalFailures;
    private readonly Counter<long> _ssrfBlocked;
    private readonly IOptions<HeraldOptions> _options;
    private readonly TimeProvider _time;

    public HeraldMetrics(IMeterFactory meters, IOptions<HeraldOptions> options, TimeProvider time)
    {
        _options = options; // read when used: this is built before start-up has reported invalid settings
        _time = time;
        Meter = meters.Create(MeterName);
        _published = Meter.CreateCounter<long>("herald.events.published", "{event}", "Events stored (idempotent repeats not counted).");
        _publishDuration = Meter.CreateHistogram("herald.publish.duration", "s", "Time to publish one event, the store's commit included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ShortBuckets });
        _attempts = Meter.CreateCounter<long>("herald.delivery.attempts", "{attempt}", "HTTP tries of deliveries, by destination kind and outcome class.");
        _attemptDuration = Meter.CreateHistogram("herald.delivery.attempt.duration", "s", "Duration of one HTTP try of a delivery.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = ShortBuckets });
        _lag = Meter.CreateHistogram("herald.delivery.lag", "s", "From an event's publish to its successful delivery (retries included).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        _finalFailures = Meter.CreateCounter<long>("herald.deliveries.final_failures", "{delivery}",
            "Deliveries that failed for good (retry schedule exhausted, or 410 Gone).");
        _ssrfBlocked = Meter.CreateCounter<long>("herald.ssrf.blocked", "{request}",
            "Destination URLs refused for pointing at a blocked address or internal name: at install, or at connect time.");
    }

    public Meter Meter { get; }

    private bool PerDestination => _options.Value.Metrics.PerDestination;

    /// <summary>One publish answered by the store. <paramref name="catalogType"/> is null for a type not in the catalog.</summary>
    public void Published(string? catalogType, bool stored, TimeSpan duration)
    {
        var type = new KeyValuePair<string, object?>("event.type", catalogType ?? "other");
        _publishDuration.Record(duration.TotalSeconds, type);
        if (stored) _published.Add(1, type);
    }

    /// <summary>The outcome of one claimed delivery, as the dispatcher produced it (tries that were not sent are not counted).</summary>
    public void Outcome(string? destinationKind, DeliveryOutcome outcome)
    {
        if (!outcome.Attempted) return;
        var tags = new TagList { { "destination.kind", destinationKind ?? "unknown" }, { "outcome.class", OutcomeClass(outcome.Outcome) } };
        if (PerDestination) tags.Add("destination.id", outcome.Delivery.DestinationId);
        _attempts.Add(1, tags);
        _attemptDuration.Record(outcome.DurationMs / 1000.0, tags);
        if (outcome.Succeeded)
        {
            var lagMs = _time.GetUtcNow().ToUnixTimeMilliseconds() - outcome.Delivery.CreatedAt;
            if (outcome.Delivery.CreatedAt > 0 && lagMs >= 0) _lag.Record(lagMs / 1000.0, Kind(destinationKind, outcome.Delivery.DestinationId));
        }
        else if (outcome.NewStatus == DeliveryStatuses.Failed)
        {
            _finalFailures.Add(1, Kind(destinationKind, outcome.Delivery.DestinationId));
        }
    }

    /// <summary>A try that failed inside Herald (counted as a failed try, outcome class "other").</summary>
    public void InternalError(string? destinationKind, ClaimedDelivery delivery, bool final)
    {
        var tags = Kind(destinationKind, delivery.DestinationId);
        tags.Add("outcome.class", "other");
        _attempts.Add(1, tags);
        if (final) _finalFailures.Add(1, Kind(destinationKind, delivery.DestinationId));
    }

    /// <summary>A destination address refused by the SSRF rules; <paramref name="stage"/> is "install" or "connect".</summary>
    public void SsrfBlocked(string stage) => _ssrfBlocked.Add(1, new KeyValuePair<string, object?>("stage", stage));

    private TagList Kind(string? kind, string destinationId)
    {
        var tags = new TagList { { "destination.kind", kind ?? "unknown" } };
        if (PerDestination) tags.Add("destination.id", destinationId);
        return tags;
    }

    /// <summary>Maps an attempt's outcome ("delivered_200", "http_503", "timeout", ...) to a small fixed set of classes.</summary>
    public static string OutcomeClass(string outcome)
    {
        if (outcome.StartsWith("delivered_", StringComparison.Ordinal)) return "delivered";
        if (outcome.StartsWith("http_", StringComparison.Ordinal) && outcome.Length == 8)
            return outcome[5] switch { '4' => "http_4xx", '5' => "http_5xx", _ => "other" };
        return outcome switch
        {
            Net.Outcomes.Timeout or Net.Outcomes.ConnectError or Net.Outcomes.BlockedDestination or Net.Outcomes.TlsError
                or Net.Outcomes.DnsError or Net.Outcomes.RequestError
                or Net.Outcomes.AuthError or Net.Outcomes.Unroutable or Net.Outcomes.Nack => outcome, // broker outcomes
            _ => "other",
        };
    }
}
