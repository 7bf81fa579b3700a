using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.PostgreSql;
using Herald.Bench.Hangfire;

// The benchmark's peer: webhooks the way a typical .NET team builds them without Herald. An API takes an event and enqueues
// one Hangfire job per destination; Hangfire's workers run each job, which POSTs the event to its destination and throws
// on a non-2xx answer so Hangfire retries it (its default AutomaticRetry: 10 attempts with growing delays).
var builder = WebApplication.CreateBuilder(args);
var peer = builder.Configuration.GetSection("Peer");
var connectionString = peer["Postgres"] is { Length: > 0 } cs ? cs : throw new InvalidOperationException("Peer:Postgres (a PostgreSQL connection string) is required.");
var apiKey = peer["ApiKey"] is { Length: > 0 } key ? key : throw new InvalidOperationException("Peer:ApiKey is required.");
var destinations = peer.GetSection("Destinations").Get<string[]>() ?? [];
// Hangfire's own default worker count.
var workers = peer.GetValue("Workers", Math.Min(Environment.ProcessorCount * 5, 20));

builder.Services.AddHttpClient("webhooks", client => client.Timeout = TimeSpan.FromSeconds(30));
builder.Services.AddTransient<Deliverer>();
builder.Services.AddHangfire(configuration => configuration
    .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
    .UseSimpleAssemblyNameTypeSerializer()
    .UseRecommendedSerializerSettings()
    .UsePostgreSqlStorage(options => options.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
    {
        PrepareSchemaIfNecessary = true,
        SchemaName = "hangfire",
        // Hangfire.PostgreSql polls its queue every 15 s by default; its docs name no other value. A job enqueued in this
        // process wakes an idle worker at once anyway (the storage signals it), so the interval only bounds how long a
        // worker sleeps when a signal is missed; 200 ms, the poll interval the benchmark gives Herald, so neither waits longer.
        QueuePollInterval = TimeSpan.FromMilliseconds(200),
    }));
builder.Services.AddHangfireServer(options => options.WorkerCount = workers);

var app = builder.Build();
var keyHash = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));

app.MapGet("/readyz", () => Results.Ok());

app.MapPost("/v1/events", (HttpRequest request, EventRequest body, IBackgroundJobClient jobs) =>
{
    if (!Authorized(request, keyHash)) return Results.Unauthorized();
    if (string.IsNullOrWhiteSpace(body.Type)) return Results.ValidationProblem(new Dictionary<string, string[]> { ["type"] = ["type is required."] });
    if (body.Data.ValueKind != JsonValueKind.Object) return Results.ValidationProblem(new Dictionary<string, string[]> { ["data"] = ["data must be an object."] });

    var id = "evt_" + Guid.NewGuid().ToString("N");
    var payload = JsonSerializer.Serialize(new WebhookPayload(id, body.Type, DateTimeOffset.UtcNow, body.Data, body.Categories ?? []));
    foreach (var url in destinations)
        jobs.Enqueue<Deliverer>(deliverer => deliverer.DeliverAsync(url, id, payload, CancellationToken.None));
    return Results.Json(new { id }, statusCode: StatusCodes.Status202Accepted);
});

app.Run();

// Bearer key, compared in constant time (hashes of equal length, so the key's length does not show either).
static bool Authorized(HttpRequest request, byte[] keyHash)
{
    var header = request.Headers.Authorization.ToString();
    if (!header.StartsWith("Bearer ", StringComparison.Ordinal)) return false;
    return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..])), keyHash);
}

namespace Herald.Bench.Hangfire
{
    public sealed record EventRequest(string? Type, JsonElement Data, string[]? Categories);

    public sealed record WebhookPayload(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("type")] string Type,
        [property: System.Text.Json.Serialization.JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
        [property: System.Text.Json.Serialization.JsonPropertyName("data")] JsonElement Data,
        [property: System.Text.Json.Serialization.JsonPropertyName("categories")] string[] Categories);

    /// <summary>One delivery: the Hangfire job. A non-2xx answer or a network error throws, and Hangfire retries the job.</summary>
    public sealed class Deliverer(IHttpClientFactory clients)
    {
        public async Task DeliverAsync(string url, string eventId, string payload, CancellationToken cancellationToken)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(payload, Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("webhook-id", eventId);
            using var response = await clients.CreateClient("webhooks").SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
        }
    }
}
