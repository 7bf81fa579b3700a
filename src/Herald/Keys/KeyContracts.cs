using Herald.Common;

namespace Herald.Keys;

public sealed record CreateKeyRequest(string? Name, string? Role);

public sealed record ApiKeyResponse(
    string Id, string Object, string ProjectId, string Role, string Name, string Prefix,
    DateTime CreatedAt, DateTime? LastUsedAt, DateTime? RevokedAt)
{
    public static ApiKeyResponse From(ApiKeyRecord k) => new(k.Id, "api_key", k.ProjectId!, k.Role, k.Name, k.Prefix,
        Clock.FromMs(k.CreatedAt), Clock.FromMs(k.LastUsedAt), Clock.FromMs(k.RevokedAt));
}

/// <summary>The only response that ever carries the key's secret.</summary>
public sealed record CreatedApiKeyResponse(
    string Id, string Object, string ProjectId, string Role, string Name, string Prefix, DateTime CreatedAt, string Key);
