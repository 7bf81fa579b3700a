using System.Globalization;
using Herald.Auth;
using Herald.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Herald.Observability;

/// <summary>
/// Wires OpenTelemetry metrics: Herald's meter, ASP.NET Core, HttpClient and runtime instruments, the Prometheus scrape
/// endpoint (GET /metrics, optionally on its own port and/or behind the operator key), and OTLP export when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
public static class ObservabilityExtensions
{
    public const string MetricsPath = "/metrics";

    /// <summary>HttpClient instruments keep only these labels: server.address, server.port and network.peer.address would name a customer's host.</summary>
    private static readonly string[] HttpClientTags =
        ["http.request.method", "http.response.status_code", "url.scheme", "network.protocol.version", "error.type", "http.connection.state"];

    public static WebApplicationBuilder AddHeraldObservability(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddSingleton<HeraldMetrics>();
        services.AddSingleton<BacklogGauges>();
        // Read from configuration, not the validated options: a bad setting must reach the start-up message, not crash here.
        var exposure = MetricsExposure.From(configuration);
        // Mapping reads the settings again once configuration is complete (test hosts add theirs at build time).
        services.AddSingleton(provider => MetricsExposure.From(provider.GetRequiredService<IConfiguration>()));
        if (!exposure.Enabled) return builder;

        if (exposure.Port is { } port) builder.WebHost.UseUrls([.. ListenUrls(configuration), .. MetricsUrls(ListenUrls(configuration), port)]);

        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])
                   || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"]);
        services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (string.IsNullOrWhiteSpace(configuration["OTEL_SERVICE_NAME"])) resource.AddService("herald");
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(HeraldMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddView("http.client.*", new MetricStreamConfiguration { TagKeys = HttpClientTags })
                    .AddView("dns.lookup.duration", new MetricStreamConfiguration { TagKeys = ["error.type"] })
                    .AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        return builder;
    }

    /// <summary>Maps GET /metrics (Prometheus text) unless Herald:Metrics:Enabled is false.</summary>
    public static WebApplication MapHeraldMetrics(this WebApplication app)
    {
        var exposure = app.Services.GetRequiredService<MetricsExposure>();
        if (!exposure.Enabled) return app;
        // Created once Herald has started: building them reads the validated settings, whose errors start-up reports.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<BacklogGauges>());
        if (exposure.Port is { } port)
        {
            // The metrics port serves only /metrics, and /metrics is served only there.
            app.Use((context, next) =>
            {
                var onMetricsPort = context.Connection.LocalPort == port;
                if (onMetricsPort == context.Request.Path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase)) return next(context);
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        var endpoint = app.MapPrometheusScrapingEndpoint(MetricsPath).ExcludeFromDescription();
        if (exposure.RequireKey) endpoint.RequireAuthorization(AuthExtensions.OperatorPolicy);
        else endpoint.AllowAnonymous();
        return app;
    }

    /// <summary>The addresses Herald already listens on: --urls / ASPNETCORE_URLS, else the http(s)_ports settings.</summary>
    private static List<string> ListenUrls(IConfiguration configuration)
    {
        static IEnumerable<string> Split(string? value) =>
            (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var urls = Split(configuration["urls"]).ToList();
        if (urls.Count > 0) return urls;
        urls.AddRange(Split(configuration["http_ports"]).Select(p => $"http://*:{p}"));
        urls.AddRange(Split(configuration["https_ports"]).Select(p => $"https://*:{p}"));
        return urls.Count > 0 ? urls : [Common.HeraldServices.DefaultUrl];
    }

    /// <summary>The metrics port on each host Herald listens on (plain http).</summary>
    private static IEnumerable<string> MetricsUrls(IEnumerable<string> urls, int port) => urls
        .Select(url =>
        {
            var address = BindingAddress.Parse(url);
            return $"http://{address.Host}:{port.ToString(CultureInfo.InvariantCulture)}";
        })
        .Distinct(StringComparer.OrdinalIgnoreCase);
}

/// <summary>How /metrics is exposed, read from Herald:Metrics (the options validator reports bad values at start).</summary>
public sealed record MetricsExposure(bool Enabled, int? Port, bool RequireKey)
{
    public static MetricsExposure From(IConfiguration configuration)
    {
        var section = configuration.GetSection($"{HeraldOptions.Section}:Metrics");
        var enabled = !bool.TryParse(section[nameof(MetricsOptions.Enabled)], out var on) || on;
        var port = int.TryParse(section[nameof(MetricsOptions.Port)], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
            ? p : (int?)null;
        var requireKey = bool.TryParse(section[nameof(MetricsOptions.RequireKey)], out var key) && key;
        return new MetricsExposure(enabled, port, requireKey);
    }
}
