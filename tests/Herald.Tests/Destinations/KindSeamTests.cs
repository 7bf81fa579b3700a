using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Destinations.Kinds;
using Herald.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Destinations;

/// <summary>A transport that keeps what it is given and answers as the test says: a stand-in for a broker.</summary>
public sealed class PigeonTransport : IDestinationTransport
{
    public ConcurrentQueue<TransportRequest> Sent { get; } = new();
    public Func<TransportRequest, TransportOutcome> Answer { get; set; } = _ => TransportOutcome.Success("cooed", TimeSpan.FromMilliseconds(3));

    public Task<TransportOutcome> SendAsync(TransportRequest request, CancellationToken ct)
    {
        Sent.Enqueue(request);
        return Task.FromResult(Answer(request));
    }
}

/// <summary>A kind that exists only in this test: its own scheme, credentials in the URL, a setting, a format, a transport.</summary>
public sealed class PigeonKind : DestinationKind<PigeonTransport>
{
    public override string Slug => "pigeon";
    public override string Provider => "pigeon";
    public override EndpointRules Endpoint { get; } = new(["pigeon"], new Dictionary<string, int> { ["pigeon"] = 7777 }, AllowsCredentials: true);
    public override IReadOnlyList<KindSetting> Settings { get; } =
        [new("loft", "Where the pigeon lands.", Default: "main", Check: v => v.All(char.IsAsciiLetterLower) ? null : "must be lower-case letters.")];

    public override KindListing Listing { get; } = new("pigeon-post", "Pigeon post", KindListing.BrokersCategory, "A loft you keep",
        "Send events by carrier pigeon", "pigeon://user:pass@loft.example/roof", "a rolled-up note", "pigeon", "url", ["url"]);

    public override RenderedPayload Format(Message message, FormatContext context) =>
        new(Encoding.UTF8.GetBytes($"coo {message.Type} to {context.Settings["loft"]} for {context.ProjectId}"), "text/plain");
}

/// <summary>The seam: one registration line makes a kind appear everywhere, accept its settings, and deliver through its transport.</summary>
public sealed class KindSeamTests
{
    private static Task<HeraldFactory> StartAsync(string store) => HeraldFactory.CreateAsync(store, new()
    {
        ["Herald:Delivery:Resolve:0"] = "loft.example:7777=93.184.216.34:7777",
        ["Herald:Delivery:Resolve:1"] = "loft.example:9000=93.184.216.34:9000",
        ["Herald:Delivery:PollInterval"] = "00:00:00.050",
        ["Herald:Delivery:RetrySchedule"] = "1h",
    }, services => services.AddDestinationKind<PigeonKind>());

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task One_registration_puts_a_kind_in_the_catalog_the_api_and_the_send_path(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        var transport = herald.Services.GetRequiredService<PigeonTransport>();

        // The catalog: marketplace listings, connector types and seed 002 providers, after the built-in kinds.
        var listings = (await admin.GetAsync("/v2/marketplace/listings").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["slack", "discord", "teams", "zapier", "custom-webhook", "rabbitmq", "nats", "pigeon-post"], listings.Select(l => l.Str("slug")));
        Assert.Equal("Message brokers", listings[^1].Str("category"));
        Assert.Equal("a rolled-up note", listings[^1].Str("payload_format"));
        var types = (await admin.GetAsync("/api/v1/connectors/types").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal("pigeon", types[^1].Str("type"));
        Assert.Equal(["url"], types[^1].GetProperty("required_fields").EnumerateArray().Select(f => f.GetString()));
        var providers = (await admin.GetAsync($"/projects/{project}/integrations/providers").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray();
        // Outbound providers are the kinds' provider slots; inbound ones (Razorpay, ...: "direction": "inbound") are sources.
        Assert.Equal(["slack", "discord", "teams", "zapier", "pigeon"],
            providers.Where(p => !p.TryGetProperty("direction", out var d) || d.GetString() != "inbound").Select(p => p.Str("provider")));

        // Herald's own list of kinds says what to send.
        var kinds = (await admin.GetAsync("/v1/destination-kinds").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["slack", "discord", "teams", "zapier", "webhook", "rabbitmq", "nats", "pigeon"], kinds.Select(k => k.Str("kind")));
        Assert.Equal(["pigeon"], kinds[^1].GetProperty("url_schemes").EnumerateArray().Select(x => x.GetString()));
        Assert.True(kinds[^1].GetProperty("url_credentials").GetBoolean());
        Assert.Equal("loft", kinds[^1].GetProperty("settings")[0].Str("name"));
        Assert.Equal("main", kinds[^1].GetProperty("settings")[0].Str("default"));
        Assert.Equal(["envelope", "cloudevents", "cloudevents-binary"],
            kinds[4].GetProperty("settings")[0].GetProperty("choices").EnumerateArray().Select(x => x.GetString()));

        // /v1/destinations takes the kind, its scheme, credentials in its URL and its setting; the URL is never shown.
        var created = await admin.PostJson("/v1/destinations", new { kind = "pigeon", url = "pigeon://keeper:s3cret-pw@loft.example/roof", loft = "attic" })
            .Json(HttpStatusCode.Created);
        var destination = created.GetProperty("destination");
        Assert.Equal("pigeon", destination.Str("kind"));
        Assert.Equal("Pigeon post", destination.Str("name"));
        Assert.Equal("loft.example", destination.Str("destination_host"));
        Assert.Equal("attic", destination.Str("loft"));
        Assert.False(destination.GetProperty("signed").GetBoolean());
        Assert.Equal(JsonValueKindNull, created.GetProperty("signing_secret").ValueKind);
        Assert.DoesNotContain("s3cret-pw", created.GetRawText());
        var id = destination.Str("id");

        // The connectors API and the marketplace list it under the kind's own names.
        var connector = await admin.GetAsync($"/api/v1/connectors/{id}").Json(HttpStatusCode.OK);
        Assert.Equal("pigeon", connector.Str("type"));
        Assert.Equal("attic", connector.GetProperty("config").Str("loft"));
        var installation = await admin.GetAsync($"/v2/marketplace/installations/mki_{Guid.Parse(id):N}").Json(HttpStatusCode.OK);
        Assert.Equal("pigeon-post", installation.Str("listing_slug"));

        // An event goes through the kind's formatter and transport, with the opened URL and the settings.
        var published = await admin.PublishAsync("db.insert", new { id = 1 });
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(published.Str("id"), id)).Str("status") == "delivered", "delivered by pigeon");
        var sent = Assert.Single(transport.Sent);
        Assert.Equal($"coo db.insert to attic for {project}", Encoding.UTF8.GetString(sent.Payload.Body));
        Assert.Equal("pigeon://keeper:s3cret-pw@loft.example/roof", sent.Opened.Url.OriginalString);
        Assert.Equal("attic", sent.Settings["loft"]);
        Assert.Equal(published.Str("id"), sent.Message.EventId);
        Assert.Equal("delivered_cooed", (await admin.DestinationAsync(id)).Str("last_delivery_status"));

        // The test button takes the same path.
        var test = await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal("""{"ok":true,"status":"delivered_cooed"}""", test.GetRawText());
        Assert.Equal("test.ping", transport.Sent.Last().Message.Type);

        // Settings change like any field, and a changed setting is what the next render sees.
        await admin.PatchRaw($"/v1/destinations/{id}", """{"loft":null}""").Json(HttpStatusCode.OK);
        await admin.PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK);
        Assert.Equal($"coo test.ping to main for {project}", Encoding.UTF8.GetString(transport.Sent.Last().Payload.Body));
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Retry_final_and_gone_are_decided_by_the_transports_outcome(string store)
    {
        await using var herald = await StartAsync(store);
        var admin = herald.Admin();
        var transport = herald.Services.GetRequiredService<PigeonTransport>();
        var id = await admin.CreateDestinationAsync(new { kind = "pigeon", url = "pigeon://loft.example:9000/roof" });
        var watcher = await admin.CreateDestinationAsync(new { kind = "pigeon", url = "pigeon://loft.example/watch", loft = "watch", events = new[] { "herald.*" } });

        transport.Answer = r => r.Destination.Id == id ? TransportOutcome.Retryable("nack", TimeSpan.Zero) : TransportOutcome.Success("cooed", TimeSpan.Zero);
        var retried = (await admin.PublishAsync("db.insert", new { id = 1 })).Str("id");
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(retried, id)).GetProperty("attempts").GetInt32() == 1, "one try");
        var pending = await admin.DeliveryOfAsync(retried, id);
        Assert.Equal("pending", pending.Str("status"));
        Assert.Equal("nack", pending.Str("last_outcome"));

        transport.Answer = r => r.Destination.Id == id ? TransportOutcome.Final("unroutable", TimeSpan.Zero) : TransportOutcome.Success("cooed", TimeSpan.Zero);
        var unroutable = (await admin.PublishAsync("db.insert", new { id = 2 })).Str("id");
        await Eventually.TrueAsync(async () => (await admin.DeliveryOfAsync(unroutable, id)).Str("status") == "failed", "failed for good at once");
        var failed = await admin.DeliveryOfAsync(unroutable, id);
        Assert.Equal(1, failed.GetProperty("attempts").GetInt32()); // the schedule still had an hour-long step left: not used
        Assert.Equal("unroutable", failed.Str("last_outcome"));
        Assert.Equal("active", (await admin.DestinationAsync(id)).Str("status"));

        transport.Answer = r => r.Destination.Id == id
            ? TransportOutcome.Final("loft_gone", TimeSpan.Zero, disableReason: "its loft is gone")
            : TransportOutcome.Success("cooed", TimeSpan.Zero);
        await admin.PublishAsync("db.insert", new { id = 3 });
        await Eventually.TrueAsync(async () => (await admin.DestinationAsync(id)).Str("status") == "auto_disabled", "disabled by the transport's outcome");
        await Eventually.TrueAsync(() => Task.FromResult(transport.Sent.Any(s => s.Destination.Id == watcher && s.Message.Type == "herald.destination.disabled")),
            "the disabled notice");
        var notice = transport.Sent.First(s => s.Destination.Id == watcher && s.Message.Type == "herald.destination.disabled").Message;
        Assert.Contains("because its loft is gone", notice.Body);
    }

    public static TheoryData<string, HttpStatusCode, string, string> BadPigeons => new()
    {
        { """{"kind":"pigeon","url":"https://loft.example/roof"}""", HttpStatusCode.UnprocessableEntity, "url", "must use pigeon." },
        { """{"kind":"pigeon","url":"pigeon://loft.example/roof","loft":"Attic"}""", HttpStatusCode.UnprocessableEntity, "loft", "must be lower-case letters." },
        { """{"kind":"pigeon","url":"pigeon://loft.example/roof","method":"PUT"}""", HttpStatusCode.UnprocessableEntity, "method", "only custom webhooks take a method." },
        { """{"kind":"pigeon","url":"pigeon://loft.example/roof","secret":"whsec_aaaaaaaaaaaaaaaaaaaaaaaa"}""", HttpStatusCode.UnprocessableEntity, "secret", "only custom webhooks are signed." },
        { """{"kind":"pigeon","url":"pigeon://127.0.0.1/roof"}""", HttpStatusCode.UnprocessableEntity, "url", "points to a private, loopback, link-local or otherwise blocked network address." },
        { """{"kind":"pigeon","url":"pigeon://loft.example:0/roof"}""", HttpStatusCode.UnprocessableEntity, "url", "must use a port from 1 to 65535." },
        { """{"kind":"webhook","url":"https://93.184.216.34/h","loft":"attic"}""", HttpStatusCode.BadRequest, "loft", "is not a known field." },
        { """{"kind":"webhook","url":"https://user:pw@93.184.216.34/h"}""", HttpStatusCode.UnprocessableEntity, "url", "must not contain a user name or password." },
    };

    [Theory, MemberData(nameof(BadPigeons))]
    public async Task The_kinds_endpoint_rules_and_settings_are_checked_at_install(string body, HttpStatusCode status, string field, string message)
    {
        await using var herald = await StartAsync(Stores.Sqlite);
        var problem = await herald.Admin().PostRaw("/v1/destinations", body).Problem(status, status == HttpStatusCode.BadRequest ? "unknown_field" : "validation_failed", field);
        Assert.Equal([message], problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, (await herald.Admin().GetAsync("/v1/destinations").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Without_its_registration_the_kind_is_nowhere()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var listings = (await admin.GetAsync("/v2/marketplace/listings").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray();
        Assert.DoesNotContain(listings, l => l.Str("slug") == "pigeon-post");
        var types = (await admin.GetAsync("/api/v1/connectors/types").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray();
        Assert.DoesNotContain(types, t => t.Str("type") == "pigeon");
        await admin.PostJson("/v1/destinations", new { kind = "pigeon", url = "pigeon://loft.example/roof" })
            .Problem(HttpStatusCode.UnprocessableEntity, "validation_failed", "kind");
    }

    [Fact]
    public void Two_kinds_claiming_one_slug_stop_herald_at_start()
    {
        var services = new ServiceCollection();
        services.AddDestinationKind<PigeonKind>().AddDestinationKind<PigeonKind>();
        using var provider = services.BuildServiceProvider();
        var refused = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<DestinationKindRegistry>());
        Assert.Contains("'pigeon'", refused.Message);
    }

    /// <summary>A kind whose setting would share a name with a common field (its answers would carry two "circuit" members).</summary>
    public sealed class CollidingKind : DestinationKind<PigeonTransport>
    {
        public override string Slug => "colliding";
        public override EndpointRules Endpoint => EndpointRules.AnyHttps;
        public override IReadOnlyList<KindSetting> Settings { get; } = [new("circuit", "A name the answers already use.")];
        public override KindListing Listing { get; } = new("colliding", "Colliding", KindListing.BrokersCategory, "-", "-", "-", "-", "colliding", "url", ["url"]);
        public override RenderedPayload Format(Message message, FormatContext context) => new([], "text/plain");
    }

    [Fact]
    public void A_setting_named_like_a_common_field_stops_herald_at_start()
    {
        var services = new ServiceCollection();
        services.AddDestinationKind<CollidingKind>();
        using var provider = services.BuildServiceProvider();
        var refused = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<DestinationKindRegistry>());
        Assert.Contains("'circuit'", refused.Message);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
