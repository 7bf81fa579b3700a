namespace Herald.Net;

/// <summary>
/// One message for a broker transport: the body as rendered for the destination, its identity (the event id, so a broker or
/// consumer can drop duplicates), the event type, when it happened, and extra headers (e.g. CloudEvents attributes).
/// </summary>
public sealed record BrokerMessage(string MessageId, string Type, DateTimeOffset Timestamp, ReadOnlyMemory<byte> Body, string ContentType,
    IReadOnlyList<KeyValuePair<string, string>> Headers);
