using System.Text;
using System.Text.Json.Nodes;

namespace Herald.Sources.StandardWebhooks;

/// <summary>
/// Any sender that follows Standard Webhooks (standardwebhooks.com; Svix and the services built on it): <c>webhook-id</c>,
/// <c>webhook-timestamp</c> (within the tolerance, 5 minutes) and <c>webhook-signature</c>, a space-separated list of
/// "v1,&lt;base64 HMAC-SHA256 of id.timestamp.body&gt;" keyed with the base64 key after "whsec_". The body's <c>type</c> names
/// the event, published under the namespace standard_webhooks (event type names take no '-').
/// </summary>
public sealed class StandardWebhooksProvider : InboundProvider
{
    private const string Prefix = "whsec_";
    private const int MaxSignatures = 8;

    public override string Kind => "standard-webhooks";
    public override string Name => "Standard Webhooks";
    public override string Description => "Receive webhooks from any sender that signs them the Standard Webhooks way (Svix and others).";
    public override string Namespace => "standard_webhooks";
    public override string Category => "webhooks";

    public override IReadOnlyList<(string Type, string Description)> KnownEvents { get; } = [];

    public override string? CheckSecret(string secret) =>
        Key(secret) is { Length: >= 16 and <= 128 } ? null : "must be whsec_ followed by the base64 of a 16-128 byte key.";

    public override string? Verify(InboundRequest request, string secret, TimeSpan tolerance)
    {
        var (id, timestamp, header) = (Header(request, "webhook-id"), Header(request, "webhook-timestamp"), Header(request, "webhook-signature"));
        if (id is null || timestamp is null || header is null) return SourceFailures.MissingSignature;
        var key = Key(secret);
        if (key is null) return SourceFailures.BadSignature;
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var signed = new byte[prefix.Length + request.Body.Length];
        prefix.CopyTo(signed, 0);
        request.Body.CopyTo(signed, prefix.Length);
        var expected = HmacSha256(key, signed);
        var matched = false;
        foreach (var candidate in header.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(MaxSignatures))
            if (candidate.StartsWith("v1,", StringComparison.Ordinal)) matched |= Base64Equals(candidate[3..], expected);
        if (!matched) return SourceFailures.BadSignature;
        return IsFresh(timestamp, request.ReceivedAt, tolerance) ? null : SourceFailures.StaleTimestamp;
    }

    public override string? EventId(InboundRequest request, JsonObject payload) => Header(request, "webhook-id");

    public override string? EventType(InboundRequest request, JsonObject payload) => Text(payload, "type");

    private static byte[]? Key(string secret)
    {
        var encoded = secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret[Prefix.Length..] : secret;
        try { return Convert.FromBase64String(encoded); }
        catch (FormatException) { return null; }
    }
}
