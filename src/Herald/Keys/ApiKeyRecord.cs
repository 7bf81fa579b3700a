namespace Herald.Keys;

public sealed record ApiKeyRecord(
    string Id, string? ProjectId, string Role, string Name, string Prefix, string Hash,
    long CreatedAt, long? LastUsedAt, long? RevokedAt);
