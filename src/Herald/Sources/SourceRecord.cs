namespace Herald.Sources;

/// <summary>A row of the sources table. The token and secret are sealed; only the token's hash is looked up.</summary>
public sealed record SourceRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Kind { get; init; }
    public required string Name { get; init; }
    /// <summary>"api" (POST /v1/sources) or "provider" (seed 002's providers routes: one per kind and project).</summary>
    public required string Via { get; init; }
    public required string TokenHash { get; init; }
    public required string TokenSealed { get; init; }
    public required string SecretSealed { get; init; }
    public required string SecretFingerprint { get; init; }
    public required string Status { get; init; }
    public long? LastReceivedAt { get; init; }
    public string? LastEventId { get; init; }
    public string? LastResult { get; init; }
    public long? LastResultAt { get; init; }
    public string? LastFailure { get; init; }
    public long? LastFailureAt { get; init; }
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
}

public static class SourceStatuses
{
    public const string Active = "active";
    public const string Disabled = "disabled";
}

public static class SourceVia
{
    public const string Api = "api";
    public const string Provider = "provider";
}
