using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Observability;

/// <summary>
/// OTLP export is on exactly when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set: a real Herald process then sends metrics and
/// traces to a loopback collector (OTLP over HTTP), with no destination URL in them.
/// </summary>
public sealed class OtlpExportTests
{
    private const string UrlToken = "otlpurltoken4h7w";

    private static async Task<(HeraldProcess Herald, string Directory)> StartAsync(int receiverPort, int? collectorPort)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
            ["Herald__Delivery__AllowHttp"] = "true",
            ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Herald__Delivery__PollInterval"] = "00:00:00.100",
        };
        if (collectorPort is { } port)
        {
            environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}";
            environment["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
            environment["OTEL_METRIC_EXPORT_INTERVAL"] = "500";
            environment["OTEL_BSP_SCHEDULE_DELAY"] = "200";
        }
        var directory = Directory.CreateTempSubdirectory("herald-otlp-").FullName;
        var herald = HeraldProcess.Start(directory, environment);
        await herald.WaitUntilHealthyAsync();
        using var admin = new HttpClient { BaseAddress = herald.BaseAddress };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        await admin.PostJson("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receiverPort}/hook?token={UrlToken}" })
            .Json(HttpStatusCode.Created);
        await admin.PublishAsync("db.insert", new { id = 1 });
        return (herald, directory);
    }

    [Fact]
    public async Task With_an_OTLP_endpoint_metrics_and_traces_are_exported_there_without_urls()
    {
        await using var receiver = await TestReceiver.StartAsync(https: false);
        await using var collector = await TestReceiver.StartAsync(https: false);
        collector.Respond = context => { context.Response.StatusCode = 200; return Task.CompletedTask; };
        var (herald, directory) = await StartAsync(receiver.Port, collector.Port);
        await using var _ = herald;
        await receiver.WaitForAsync(1);

        await Eventually.TrueAsync(() => Task.FromResult(
            collector.Received.Any(r => r.PathAndQuery == "/v1/metrics" && r.Body.Contains("herald.delivery.attempts"))
            && collector.Received.Any(r => r.PathAndQuery == "/v1/traces" && r.Body.Contains("herald.delivery.attempt"))),
            "metrics and traces at the collector", TimeSpan.FromSeconds(20));
        Assert.All(collector.Received, r => Assert.Equal("POST", r.Method));
        Assert.DoesNotContain(collector.Received, r => r.Body.Contains(UrlToken) || r.Body.Contains("/hook"));
        try { Directory.Delete(directory, true); } catch (IOException) { }
    }
}
