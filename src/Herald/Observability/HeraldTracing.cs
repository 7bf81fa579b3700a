using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Herald.Observability;

/// <summary>
/// Herald's traces: one <see cref="ActivitySource"/> named "Herald" with a span per publish (around the group-commit write)
/// and per delivery attempt. An attempt's span links to its event's publish span through the W3C trace context stored with
/// the event (events.trace_parent), so the link survives the queue and restarts.
/// <para>
/// Spans name the destination kind, outcome and status code, and ids; never a destination's URL or host, headers, secrets or
/// event data. HttpClient's own spans are not collected: Herald's delivery client sends no trace headers
/// (see <see cref="Net.NetExtensions"/>) and the attempt span stands for the request.
/// </para>
/// </summary>
public static class HeraldTracing
{
    public const string SourceName = "Herald";

    public static readonly ActivitySource Source = new(SourceName);

    public const string PublishSpan = "herald.publish";
    public const string AttemptSpan = "herald.delivery.attempt";

    /// <summary>
    /// Traces are recorded when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
    /// then exported there; or when Herald:Traces:Enabled is true (for an exporter added in code). Otherwise nothing is sampled,
    /// so no span is created and nothing is exported.
    /// </summary>
    public static IServiceCollection AddHeraldTracing(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOpenTelemetry().WithTracing(tracing =>
        {
            // A path that holds a capability token (an inbound source's /in/{token}) is recorded as its route, as the request log does.
            tracing.AddSource(SourceName).AddAspNetCoreInstrumentation(o => o.EnrichWithHttpResponse = (activity, response) =>
            {
                if (response.HttpContext.Items[Common.RequestLogging.LogPathItem] is string route) activity.SetTag("url.path", route);
            });
            // Decided when the provider is built, on the final configuration: off means nothing is sampled, so no span exists.
            ((IDeferredTracerProviderBuilder)tracing).Configure((provider, builder) =>
            {
                if (!Enabled(provider.GetRequiredService<IConfiguration>())) builder.SetSampler(new AlwaysOffSampler());
            });
            // The exporter reads the endpoint, headers and protocol from the standard OTEL_EXPORTER_OTLP_* variables.
            if (OtlpConfigured(configuration)) tracing.AddOtlpExporter();
        });
        return services;
    }

    internal static bool OtlpConfigured(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);

    internal static bool Enabled(IConfiguration configuration) =>
        OtlpConfigured(configuration) || configuration.GetValue("Herald:Traces:Enabled", false);

    /// <summary>The W3C traceparent of a span, to store with an event; null when there is none.</summary>
    public static string? TraceParent(Activity? span) =>
        span is { IdFormat: ActivityIdFormat.W3C } ? span.Id : null;

    /// <summary>A link to the span a stored traceparent names; none when it is missing or malformed.</summary>
    public static ActivityLink[]? LinkTo(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context) ? [new ActivityLink(context)] : null;
}
