using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Observability;

/// <summary>
/// The Prometheus endpoint of a real Herald process after a known mix of deliveries: counts per outcome class, no secret in
/// any label, the operator key and separate-port settings, and a real Prometheus server scraping it.
/// </summary>
public sealed partial class MetricsTests
{
    private const string HostToken = "hosttoken7q2x";
    private const string UrlToken = "urltoken9k4m";
    private const string HeaderToken = "headertoken3v8p";
    private const string DataToken = "datatoken5r1z";

    /// <summary>Per event: one delivered, and two tries each (the schedule allows one retry) for a 500, a 404 and a refused connection.</summary>
    private const int Events = 2;

    private static readonly Dictionary<string, double> ExpectedAttempts = new()
    {
        ["delivered"] = Events, ["http_5xx"] = 2 * Events, ["http_4xx"] = 2 * Events, ["connect_error"] = 2 * Events,
    };

    private static Dictionary<string, string?> Environment(int receiverPort, Dictionary<string, string?>? extra = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
            ["Herald__Delivery__AllowHttp"] = "true",
            ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Herald__Delivery__Resolve__0"] = $"hooks-{HostToken}.example.com:{receiverPort}=127.0.0.1:{receiverPort}",
            ["Herald__Delivery__RetrySchedule"] = "200ms",
            ["Herald__Delivery__PollInterval"] = "00:00:00.100",
            ["Herald__Delivery__CircuitBreakerFailures"] = "1000",
        };
        foreach (var (key, value) in extra ?? []) environment[key] = value;
        return environment;
    }

    private static async Task<TestReceiver> ReceiverAsync()
    {
        var receiver = await TestReceiver.StartAsync(https: false);
        receiver.Respond = context =>
        {
            context.Response.StatusCode = context.Request.Path.Value switch { "/e500" => 500, "/e404" => 404, _ => 200 };
            return context.Response.WriteAsync("answer");
        };
        return receiver;
    }

    private static HttpClient Client(Uri baseAddress, string? key)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    /// <summary>Creates the four destinations and publishes <see cref="Events"/> events; returns the signing secrets Herald generated.</summary>
    private static async Task<List<string>> DeliverKnownMixAsync(HeraldProcess herald, int receiverPort)
    {
        using var admin = Client(herald.BaseAddress, HeraldFactory.AdminKey);
        var secrets = new List<string>();
        var closedPort = HeraldProcess.FreePort(); // nothing listens there: connection refused
        foreach (var url in new[]
                 {
                     $"http://hooks-{HostToken}.example.com:{receiverPort}/ok?token={UrlToken}",
                     $"http://127.0.0.1:{receiverPort}/e500?token={UrlToken}",
                     $"http://127.0.0.1:{receiverPort}/e404",
                     $"http://127.0.0.1:{closedPort}/refused",
                 })
        {
            // db.* only: Herald's own notices (herald.delivery.failed, ...) would add deliveries of their own to the counts.
            var created = await admin.PostJson("/v1/destinations", new { kind = "webhook", url, events = new[] { "db.*" },
                    headers = new Dictionary<string, string> { ["X-Token"] = HeaderToken } })
                .Json(HttpStatusCode.Created);
            secrets.Add(created.Str("signing_secret"));
        }
        // Refused at install by the SSRF rules (10.0.0.0/8 is not an allowed network).
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await admin.PostJson("/v1/destinations", new { kind = "webhook", url = "http://10.1.2.3/hook" })).StatusCode);
        for (var i = 0; i < Events; i++) await admin.PublishAsync("db.insert", new { token = DataToken, i });
        return secrets;
    }

    [Theory]
    [MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Scrape_counts_attempts_per_outcome_class_and_carries_no_secret(string store)
    {
        await using var receiver = await ReceiverAsync();
        var directory = Directory.CreateTempSubdirectory("herald-metrics-").FullName;
        var postgres = store == Stores.Postgres ? await Stores.CreatePostgresDatabaseAsync() : null;
        await using var herald = HeraldProcess.Start(directory, Environment(receiver.Port, postgres is null ? null : new()
        {
            ["Herald__Storage__Provider"] = "postgres",
            ["Herald__Storage__ConnectionString"] = postgres,
            ["Herald__Secrets__MasterKey"] = HeraldFactory.TestMasterKey,
        }));
        await herald.WaitUntilHealthyAsync();
        var secrets = await DeliverKnownMixAsync(herald, receiver.Port);

        using var anonymous = Client(herald.BaseAddress, null);
        string text = "";
        await Eventually.TrueAsync(async () =>
        {
            text = await anonymous.GetStringAsync("/metrics");
            // The herald.delivery.failed notices are published after the final failures are counted: wait for their publishes too.
            return ExpectedAttempts.All(e => Sum(text, "herald_delivery_attempts_total", "outcome_class", e.Key) == e.Value)
                   && Sum(text, "herald_deliveries_final_failures_total") == 3 * Events
                   && Sum(text, "herald_publish_duration_seconds_count") >= Events + 3 * Events;
        }, "the delivery counters to reach the expected values", TimeSpan.FromSeconds(30));

        // (a) exactly the expected classes and values, nothing else; the other instruments are there too.
        var classes = Samples(text, "herald_delivery_attempts_total").Select(s => s.Labels["outcome_class"]).Distinct().Order();
        Assert.Equal(ExpectedAttempts.Keys.Order(), classes);
        Assert.All(Samples(text, "herald_delivery_attempts_total"), s => Assert.Equal("webhook", s.Labels["destination_kind"]));
        Assert.Equal(Events, Sum(text, "herald_events_published_total", "event_type", "db.insert"));
        // Every publish is timed: the events above and Herald's herald.delivery.failed notice for each of the 3 × Events failures.
        Assert.Equal(Events + 3 * Events, Sum(text, "herald_publish_duration_seconds_count"));
        Assert.Equal(ExpectedAttempts.Values.Sum(), Sum(text, "herald_delivery_attempt_duration_seconds_count"));
        Assert.Equal(Events, Sum(text, "herald_delivery_lag_seconds_count"));
        Assert.Equal(1, Sum(text, "herald_ssrf_blocked_total", "stage", "install"));
        Assert.Contains("http_server_request_duration_seconds_count", text);
        Assert.Contains("http_client_request_duration_seconds_count", text);
        Assert.Contains("dotnet_gc_collections_total", text);
        Assert.Contains("herald_deliveries_in_hand", text);
        // The store counts are served from a cache the first scrape filled (the destinations existed by then).
        Assert.Equal(4, Sum(text, "herald_destinations", "status", "active"));
        Assert.Contains("herald_deliveries_due{", text);
        Assert.Contains("herald_deliveries_retrying{", text);

        // (b) no URL part, customer host, header value, event data, signing secret or API key anywhere in the scrape.
        foreach (var planted in new[] { HostToken, UrlToken, HeaderToken, DataToken, HeraldFactory.AdminKey, HeraldFactory.OperatorKey, "/e500", "/refused" })
            Assert.DoesNotContain(planted, text, StringComparison.OrdinalIgnoreCase);
        foreach (var secret in secrets) Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain("destination_id", text); // ids are labels only with Herald__Metrics__PerDestination=true
    }

    [Fact]
    public async Task PerDestination_adds_the_destination_id_label()
    {
        await using var receiver = await ReceiverAsync();
        var directory = Directory.CreateTempSubdirectory("herald-metrics-").FullName;
        await using var herald = HeraldProcess.Start(directory, Environment(receiver.Port, new() { ["Herald__Metrics__PerDestination"] = "true" }));
        await herald.WaitUntilHealthyAsync();
        using var admin = Client(herald.BaseAddress, HeraldFactory.AdminKey);
        var id = await admin.CreateDestinationAsync(new { kind = "webhook", url = $"http://127.0.0.1:{receiver.Port}/ok" });
        await admin.PublishAsync("db.insert", new { i = 1 });
        await Eventually.TrueAsync(async () => Sum(await admin.GetStringAsync("/metrics"), "herald_delivery_attempts_total", "destination_id", id) == 1,
            "an attempt counted under its destination id", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RequireKey_asks_for_the_operator_key()
    {
        await using var factory = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Metrics:RequireKey"] = "true" });
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/metrics")).StatusCode);
        using var admin = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new("Bearer", HeraldFactory.AdminKey) } };
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(admin)).StatusCode);
        using var op = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new("Bearer", HeraldFactory.OperatorKey) } };
        var response = await client.SendAsync(op);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_open_by_default_and_absent_when_disabled()
    {
        await using (var factory = await HeraldFactory.CreateAsync(Stores.Sqlite))
        {
            var response = await factory.CreateClient().GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType);
        }
        await using (var factory = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Metrics:Enabled"] = "false" }))
            Assert.Equal(HttpStatusCode.NotFound, (await factory.CreateClient().GetAsync("/metrics")).StatusCode);
    }

    [Fact]
    public async Task Port_serves_metrics_on_its_own_port_only()
    {
        var metricsPort = HeraldProcess.FreePort();
        var directory = Directory.CreateTempSubdirectory("herald-metrics-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
            ["Herald__Metrics__Port"] = metricsPort.ToString(CultureInfo.InvariantCulture),
        });
        await herald.WaitUntilHealthyAsync();
        using var main = Client(herald.BaseAddress, null);
        using var metrics = Client(new Uri($"http://127.0.0.1:{metricsPort}"), null);
        var scrape = await metrics.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains("http_server_", await scrape.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await main.GetAsync("/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await metrics.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await main.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task A_metrics_port_out_of_range_stops_the_start_with_a_message()
    {
        var directory = Directory.CreateTempSubdirectory("herald-metrics-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?> { ["Herald__Metrics__Port"] = "70000" });
        Assert.Equal(1, await herald.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Herald:Metrics:Port must be between 1 and 65535", herald.Output);
    }

    [Fact]
    public async Task Prometheus_server_scrapes_the_delivery_counters()
    {
        const string binary = "/usr/bin/prometheus";
        if (!File.Exists(binary))
        {
            const string reason = "Prometheus test skipped: /usr/bin/prometheus is missing (apt-get install prometheus).";
            if (System.Environment.GetEnvironmentVariable("HERALD_REQUIRE_PROMETHEUS") == "1") Assert.Fail("HERALD_REQUIRE_PROMETHEUS=1 but " + reason);
            TestContext.Current.SendDiagnosticMessage("NOTICE: " + reason);
            Assert.Skip(reason);
        }

        await using var receiver = await ReceiverAsync();
        var directory = Directory.CreateTempSubdirectory("herald-metrics-").FullName;
        await using var herald = HeraldProcess.Start(directory, Environment(receiver.Port));
        await herald.WaitUntilHealthyAsync();

        var promDirectory = Directory.CreateTempSubdirectory("herald-prometheus-").FullName;
        var config = Path.Combine(promDirectory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: herald
                static_configs:
                  - targets: ['127.0.0.1:{herald.Port}']
            """);
        var promPort = HeraldProcess.FreePort();
        var info = new ProcessStartInfo(binary, [$"--config.file={config}", $"--storage.tsdb.path={Path.Combine(promDirectory, "data")}",
            $"--web.listen-address=127.0.0.1:{promPort}"])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var prometheus = Process.Start(info)!;
        prometheus.OutputDataReceived += (_, _) => { };
        prometheus.ErrorDataReceived += (_, _) => { };
        prometheus.BeginOutputReadLine();
        prometheus.BeginErrorReadLine();
        try
        {
            await DeliverKnownMixAsync(herald, receiver.Port);
            using var api = Client(new Uri($"http://127.0.0.1:{promPort}"), null);
            var seen = new Dictionary<string, double>();
            await Eventually.TrueAsync(async () =>
            {
                if (prometheus.HasExited) Assert.Fail($"prometheus exited with {prometheus.ExitCode}");
                try
                {
                    using var answer = JsonDocument.Parse(await api.GetStringAsync("/api/v1/query?query=herald_delivery_attempts_total"));
                    seen = answer.RootElement.GetProperty("data").GetProperty("result").EnumerateArray()
                        .GroupBy(r => r.GetProperty("metric").GetProperty("outcome_class").GetString()!)
                        .ToDictionary(g => g.Key, g => g.Sum(r => double.Parse(r.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture)));
                }
                catch (HttpRequestException) { return false; } // not listening yet
                return seen.Count == ExpectedAttempts.Count && ExpectedAttempts.All(e => seen.GetValueOrDefault(e.Key) == e.Value);
            }, "Prometheus to report the expected herald_delivery_attempts_total", TimeSpan.FromSeconds(60));
            Assert.Equal(ExpectedAttempts.OrderBy(e => e.Key), seen.OrderBy(e => e.Key));
        }
        finally
        {
            prometheus.Kill(entireProcessTree: true);
            await prometheus.WaitForExitAsync();
        }
    }

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    private static IEnumerable<Sample> Samples(string text, string name) => text.Split('\n')
        .Select(line => SampleLine().Match(line))
        .Where(m => m.Success && m.Groups["name"].Value == name)
        .Select(m => new Sample(name,
            LabelPair().Matches(m.Groups["labels"].Value).ToDictionary(l => l.Groups[1].Value, l => l.Groups[2].Value),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)));

    private static double Sum(string text, string name, string? label = null, string? value = null) =>
        Samples(text, name).Where(s => label is null || s.Labels.GetValueOrDefault(label) == value).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex LabelPair();
}
