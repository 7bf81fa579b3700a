using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Errors;
using Herald.Options;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Events;

/// <summary>
/// The one way events enter Herald, for the HTTP API and in-process producers alike: checks type, data and schema, then
/// hands the event to the group-commit writer. It never talks to a destination.
/// </summary>
public sealed class EventPublisher(EventCatalog catalog, EventWriter writer, IOptions<HeraldOptions> options, TimeProvider time,
    Observability.HeraldMetrics metrics)
{
    public const int MaxCategories = 20;
    public const int MaxIdempotencyKeyLength = 200;

    public async Task<(WriteResult? Result, ProblemHttpResult? Problem)> PublishAsync(string projectId, PublishRequest request,
        string? idempotencyKey, CancellationToken ct) => await PublishAsync(projectId, request, idempotencyKey, null, ct);

    private async Task<(WriteResult? Result, ProblemHttpResult? Problem)> PublishAsync(string projectId, PublishRequest request,
        string? idempotencyKey, string? excludeDestinationId, CancellationToken ct)
    {
        var v = new Validation();
        var type = request.Type?.Trim();
        EventType? known = null;
        if (string.IsNullOrEmpty(type)) v.Add("type", "is required.");
        else if (type.Length > 100) v.Add("type", "must be at most 100 characters.");
        else
        {
            known = await catalog.FindAsync(type, ct);
            if (known is null && !options.Value.Events.AllowUnknownTypes && !catalog.IsInOpenNamespace(type))
            {
                return (null, Problems.Result(Problems.Create(422, "unknown_event_type", "The event type is not in the catalog.",
                    $"'{Truncate(type)}' is not a known event type; GET /v1/event-types lists them.", "type",
                    new Dictionary<string, string[]> { ["type"] = ["is not a known event type."] })));
            }
        }
        if (request.Data is null) v.Add("data", "is required and must be a JSON object.");
        var title = v.Text("title", request.Title, 200);
        var body = v.Text("body", request.Body, 4000);
        var categories = request.Categories;
        if (categories is { Count: > MaxCategories }) v.Add("categories", $"may list at most {MaxCategories} categories.");
        else if (categories is not null)
            for (var i = 0; i < categories.Count; i++)
                if (string.IsNullOrWhiteSpace(categories[i]) || categories[i].Length > 64) v.Add($"categories[{i}]", "must be 1-64 characters.");
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
            v.Add("Idempotency-Key", $"must be 1-{MaxIdempotencyKeyLength} characters.");
        if (!v.IsValid) return (null, v.Problem());

        var data = request.Data!.ToJsonString();
        if (known is not null)
        {
            var errors = catalog.Validate(known, data);
            if (errors.Count > 0)
            {
                var field = string.IsNullOrEmpty(errors[0].Path) ? "data" : $"data.{errors[0].Path}";
                return (null, Problems.Result(Problems.Create(422, "schema_mismatch", "The event data does not match its type's schema.",
                    $"{field}: {errors[0].Message}", field,
                    errors.GroupBy(e => string.IsNullOrEmpty(e.Path) ? "data" : $"data.{e.Path}")
                        .ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))));
            }
        }

        var now = time.GetUtcNow();
        var categoriesJson = categories is { Count: > 0 } ? JsonSerializer.Serialize(categories.Distinct()) : null;
        var e = new EventRecord
        {
            Id = Ids.New("evt"),
            ProjectId = projectId,
            Type = type!,
            Title = title,
            Body = body,
            Data = data,
            Categories = categoriesJson,
            OccurredAt = (request.OccurredAt ?? now).ToUnixTimeMilliseconds(),
            IdempotencyKey = idempotencyKey,
            RequestHash = idempotencyKey is null ? null : Hash(type!, data, categoriesJson, title, body),
            ExcludeDestinationId = excludeDestinationId,
        };
        using var span = Observability.HeraldTracing.Source.StartActivity(Observability.HeraldTracing.PublishSpan, System.Diagnostics.ActivityKind.Producer);
        span?.SetTag("herald.event.type", e.Type);
        e = e with { TraceParent = Observability.HeraldTracing.TraceParent(span) };
        var result = await writer.WriteAsync(e, ct);
        metrics.Published(known is null ? null : e.Type, !result.Replayed, time.GetUtcNow() - now);
        span?.SetTag("herald.event.id", result.Event.Id).SetTag("herald.event.replayed", result.Replayed)
            .SetTag("herald.event.deliveries", result.Event.Deliveries);
        if (result.Conflict)
            return (null, Problems.Conflict("idempotency_key_reused", "The Idempotency-Key was used for a different event.",
                "A repeat with the same Idempotency-Key must carry the same event; use a new key for a new event.", "Idempotency-Key"));
        return (result, null);
    }

    /// <summary>For in-process producers (budget alerts, Herald's own notices): same path, no HTTP.</summary>
    public async Task<WriteResult> PublishInternalAsync(string projectId, string type, string title, string body, JsonObject data,
        string? idempotencyKey, CancellationToken ct, string? excludeDestinationId = null)
    {
        var (result, problem) = await PublishAsync(projectId, new PublishRequest(type, data, null, null, title, body), idempotencyKey,
            excludeDestinationId, ct);
        return result ?? throw new InvalidOperationException($"Herald's own event '{type}' was refused: {problem?.ProblemDetails.Detail}");
    }

    private static string Hash(params string?[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\u001f', parts.Select(p => p ?? "")))));

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60];
}

public sealed record PublishRequest(string? Type, JsonObject? Data, List<string>? Categories, DateTimeOffset? OccurredAt,
    string? Title = null, string? Body = null);
