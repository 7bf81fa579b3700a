using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Events;
using Herald.Options;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Sources;

/// <summary>How one inbound request ended; the endpoint turns it into the provider's answer.</summary>
public sealed record ReceiveOutcome(ReceiveStatus Status, string? EventId = null, bool Duplicate = false, ProblemHttpResult? Problem = null);

public enum ReceiveStatus { Accepted, NotFound, RateLimited, TooLarge, Unverified, Malformed, Refused }

/// <summary>
/// POST /in/{token}: find the source by its token, rate-limit it, read the raw body (within the publishing limit), verify the
/// provider's signature and timestamp on those exact bytes, then de-duplicate by the provider's event id and publish through
/// <see cref="EventPublisher"/> like POST /v1/events. Nothing is published unless every check passed; a refusal is recorded on
/// the source (last_failure) for its owner, never explained to the sender.
/// </summary>
public sealed class SourceReceiver(SourceStore store, SourceService sources, SourceProviders providers, SourceRateLimiter limiter,
    EventPublisher publisher, IOptions<HeraldOptions> options, TimeProvider time, ILogger<SourceReceiver> logger)
{
    private const int MaxProviderIdLength = 150;
    private const int MaxTypeLength = 100;
    private long _lastPrune;

    public async Task<ReceiveOutcome> ReceiveAsync(string token, HttpContext http, CancellationToken ct)
    {
        if (!SourceService.IsWellFormedToken(token)) return new(ReceiveStatus.NotFound);
        var source = await store.FindByTokenHashAsync(SourceService.HashToken(token), ct);
        // A disabled source answers exactly as an unknown URL: the sender learns nothing, and nothing is stored.
        if (source is null || source.Status != SourceStatuses.Active || providers.Find(source.Kind) is not { } provider)
            return new(ReceiveStatus.NotFound);
        if (!limiter.TryTake(source.Id)) return new(ReceiveStatus.RateLimited);

        var limit = options.Value.Events.MaxPayloadBytes;
        var body = await ReadBodyAsync(http, limit, ct);
        if (body is null) return await FailAsync(source, SourceFailures.PayloadTooLarge, new(ReceiveStatus.TooLarge), ct);

        var request = new InboundRequest(http.Request.Headers, body, time.GetUtcNow());
        if (provider.Verify(request, sources.OpenSecret(source), options.Value.Sources.TimestampTolerance) is { } failure)
            return await FailAsync(source, failure, new(ReceiveStatus.Unverified), ct);

        if (Parse(body) is not { } payload) return await FailAsync(source, SourceFailures.MalformedBody, new(ReceiveStatus.Malformed), ct);
        var providerType = provider.EventType(request, payload);
        var type = TypeName(provider.Namespace, providerType);
        if (type is null) return await FailAsync(source, SourceFailures.NoEventType, new(ReceiveStatus.Malformed), ct);
        var providerId = ProviderId(provider.EventId(request, payload), body);

        var now = time.NowMs();
        var since = now - (long)options.Value.Sources.DeduplicationWindow.TotalMilliseconds;
        if (await store.FindReceiptAsync(source.Id, providerId, since, ct) is { } earlier)
        {
            await store.RecordReceivedAsync(source.Id, earlier, now, ct);
            return new(ReceiveStatus.Accepted, earlier, Duplicate: true);
        }

        var (result, problem) = await publisher.PublishAsync(source.ProjectId,
            new PublishRequest(type, payload, [provider.Kind], null, Title: $"{provider.Name}: {providerType}"),
            $"{source.Id}:{providerId}", ct);
        if (problem is not null)
        {
            // The same provider id with another body: the id was taken already, so this is a repeat, not a new event.
            if (problem.StatusCode == StatusCodes.Status409Conflict) return new(ReceiveStatus.Accepted, null, Duplicate: true);
            return await FailAsync(source, SourceFailures.Refused, new(ReceiveStatus.Refused, Problem: problem), ct);
        }
        await store.AddReceiptAsync(source.Id, providerId, result!.Event.Id, now, ct);
        await store.RecordReceivedAsync(source.Id, result.Event.Id, now, ct);
        await PruneIfDueAsync(now, since, ct);
        return new(ReceiveStatus.Accepted, result.Event.Id, result.Replayed);
    }

    /// <summary>The body, or null when it is over <paramref name="limit"/> bytes (by its Content-Length or as read).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext http, int limit, CancellationToken ct)
    {
        if (http.Request.ContentLength > limit) return null;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit + 1L;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > limit) return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException tooLarge) when (tooLarge.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.ToArray();
    }

    private static JsonObject? Parse(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>"namespace.provider_type" in catalog form: lowercase letters, digits and '_' between dots ("orders/create" → orders.create).</summary>
    internal static string? TypeName(string ns, string? providerType)
    {
        if (string.IsNullOrWhiteSpace(providerType)) return null;
        var cleaned = new StringBuilder(providerType.Length);
        foreach (var c in providerType.Trim().ToLowerInvariant())
            cleaned.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '.' ? c : c == '/' ? '.' : '_');
        var segments = cleaned.ToString().Split('.', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) return null;
        var type = $"{ns}.{string.Join('.', segments)}";
        return type.Length <= MaxTypeLength ? type : type[..MaxTypeLength].TrimEnd('.');
    }

    /// <summary>The provider's id when it is short printable ASCII; otherwise (or when none is sent) a hash of it (or of the body).</summary>
    internal static string ProviderId(string? id, byte[] body)
    {
        if (id is { Length: > 0 and <= MaxProviderIdLength } && id.All(c => c is >= '\x21' and <= '\x7e')) return id;
        var hash = id is null ? SHA256.HashData(body) : SHA256.HashData(Encoding.UTF8.GetBytes(id));
        return "sha256:" + Convert.ToHexStringLower(hash);
    }

    private async Task<ReceiveOutcome> FailAsync(SourceRecord source, string failure, ReceiveOutcome outcome, CancellationToken ct)
    {
        logger.LogInformation("Source {SourceId} ({Kind}) refused an inbound request: {Failure}.", source.Id, source.Kind, failure);
        try
        {
            await store.RecordFailureAsync(source.Id, failure, time.NowMs(), ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The refusal stands whether or not it could be noted.
            logger.LogWarning("Could not record the failure on source {SourceId}: {Error}", source.Id, e.GetType().Name);
        }
        return outcome;
    }

    private async Task PruneIfDueAsync(long now, long before, CancellationToken ct)
    {
        var last = Interlocked.Read(ref _lastPrune);
        if (now - last < TimeSpan.FromHours(1).TotalMilliseconds || Interlocked.CompareExchange(ref _lastPrune, now, last) != last) return;
        try
        {
            await store.PruneReceiptsAsync(before, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Could not prune source receipts: {Error}", e.GetType().Name);
        }
    }
}
