using Herald.Common;

namespace Herald.Sources;

public sealed record CreateSourceRequest(string? Kind, string? Name, string? Secret);

public sealed record UpdateSourceRequest(string? Name, string? Secret, string? Status);

/// <summary>A source as the API shows it: never its secret (only a fingerprint), always the inbound URL to give the provider.</summary>
public sealed record SourceResponse(
    string Id, string Object, string Kind, string Name, string Status, string InboundUrl, string EventNamespace, string SecretFingerprint,
    DateTime? LastReceivedAt, string? LastEventId, string? LastResult, DateTime? LastResultAt, string? LastFailure, DateTime? LastFailureAt,
    DateTime CreatedAt, DateTime UpdatedAt)
{
    public static SourceResponse From(SourceRecord s, string inboundUrl, InboundProvider? provider) => new(
        s.Id, "source", s.Kind, s.Name, s.Status, inboundUrl, provider?.Namespace ?? s.Kind, s.SecretFingerprint,
        Clock.FromMs(s.LastReceivedAt), s.LastEventId, s.LastResult, Clock.FromMs(s.LastResultAt), s.LastFailure, Clock.FromMs(s.LastFailureAt),
        Clock.FromMs(s.CreatedAt), Clock.FromMs(s.UpdatedAt));
}

public sealed record SourceKindResponse(string Kind, string Object, string Name, string Description, string EventNamespace, IReadOnlyList<string> Events);

/// <summary>What /in/{token} answers a verified delivery: the event it became, and whether it was a repeat of one already taken.</summary>
public sealed record ReceiptResponse(string Object, string? EventId, bool Duplicate);
