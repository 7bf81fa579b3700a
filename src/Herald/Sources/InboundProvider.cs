using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Herald.Sources;

/// <summary>
/// Everything Herald knows about one inbound provider (Razorpay, Stripe, ...): how its webhooks are signed, where its event id
/// and event type are, and the event types worth listing in the catalog. One class in its own folder under Sources/, registered
/// with one <see cref="SourceRegistration.AddInboundProvider{T}"/> line; nothing else lists the providers.
/// </summary>
public abstract class InboundProvider
{
    /// <summary>The kind as the API names it: "razorpay", "standard-webhooks".</summary>
    public abstract string Kind { get; }

    /// <summary>The provider's display name: "Razorpay".</summary>
    public abstract string Name { get; }

    /// <summary>A line for listings: what the provider sends.</summary>
    public abstract string Description { get; }

    /// <summary>The first part of the event types it publishes ("razorpay" → razorpay.payment.captured): lowercase, digits, '_'.</summary>
    public virtual string Namespace => Kind;

    /// <summary>Listing category, as the seed's providers have one.</summary>
    public virtual string Category => "payments";

    /// <summary>Provider event types (without the namespace) put in the catalog, with a description each.</summary>
    public abstract IReadOnlyList<(string Type, string Description)> KnownEvents { get; }

    /// <summary>Why a secret cannot be this provider's (null when it can). Never echoes the secret.</summary>
    public virtual string? CheckSecret(string secret) => null;

    /// <summary>
    /// Checks the signature over the raw body, in constant time, and the timestamp where the provider signs one. Null when the
    /// request is the provider's; otherwise the failure (<see cref="SourceFailures"/>).
    /// </summary>
    public abstract string? Verify(InboundRequest request, string secret, TimeSpan tolerance);

    /// <summary>The provider's id of this event (for de-duplication), or null when it sends none.</summary>
    public abstract string? EventId(InboundRequest request, JsonObject payload);

    /// <summary>The provider's event type ("payment.captured"), or null when the request names none.</summary>
    public abstract string? EventType(InboundRequest request, JsonObject payload);

    // Helpers for the providers' checks.

    protected static string? Header(InboundRequest request, string name) =>
        request.Headers.TryGetValue(name, out var values) && values.Count == 1 && !string.IsNullOrEmpty(values[0]) ? values[0] : null;

    protected static byte[] HmacSha256(string key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), data);

    protected static byte[] HmacSha256(byte[] key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(key, data);

    /// <summary>Whether <paramref name="hex"/> is the hex of <paramref name="expected"/>: decoded first, then compared in constant time.</summary>
    protected static bool HexEquals(string? hex, byte[] expected)
    {
        if (hex is null || hex.Length != expected.Length * 2) return false;
        byte[] given;
        try { given = Convert.FromHexString(hex); }
        catch (FormatException) { return false; }
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }

    /// <summary>Whether <paramref name="base64"/> is the base64 of <paramref name="expected"/>, compared in constant time.</summary>
    protected static bool Base64Equals(string? base64, byte[] expected)
    {
        if (base64 is null || base64.Length > 128) return false;
        var given = new byte[96];
        if (!Convert.TryFromBase64String(base64, given, out var length)) return false;
        return CryptographicOperations.FixedTimeEquals(given.AsSpan(0, length), expected);
    }

    /// <summary>The payload's string property, or null.</summary>
    protected static string? Text(JsonObject payload, string name) =>
        payload.TryGetPropertyValue(name, out var node) && node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    /// <summary>A Unix-seconds timestamp within <paramref name="tolerance"/> of now, either way.</summary>
    protected static bool IsFresh(string? unixSeconds, DateTimeOffset now, TimeSpan tolerance) =>
        long.TryParse(unixSeconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var t)
        && t < 100_000_000_000 && Math.Abs(now.ToUnixTimeSeconds() - t) <= tolerance.TotalSeconds;
}

/// <summary>One inbound request as the provider sent it: its headers and the raw body bytes, and when it arrived.</summary>
public sealed record InboundRequest(IHeaderDictionary Headers, byte[] Body, DateTimeOffset ReceivedAt);

/// <summary>What a source records as its last failure; the provider is told only 401, 404, 413 or 400.</summary>
public static class SourceFailures
{
    public const string Verified = "verified";
    public const string MissingSignature = "missing_signature";
    public const string BadSignature = "bad_signature";
    public const string StaleTimestamp = "stale_timestamp";
    public const string PayloadTooLarge = "payload_too_large";
    public const string MalformedBody = "malformed_body";
    public const string NoEventType = "no_event_type";
    public const string Refused = "refused";
    public const string RateLimited = "rate_limited";
}
