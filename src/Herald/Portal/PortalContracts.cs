using Herald.Common;

namespace Herald.Portal;

/// <summary>POST /v1/projects/{id}/portal-sessions. All optional: a member session of an hour with no way back by default.</summary>
public sealed record CreatePortalSessionRequest(string? Role, int? ExpiresIn, string? ReturnUrl);

/// <summary>The link to hand to one customer. <c>expires_at</c> is when the link stops opening (10 minutes); the session it starts lasts
/// <c>session_expires_in</c> seconds from the first open.</summary>
public sealed record PortalSessionResponse(string Id, string Object, string Url, DateTime ExpiresAt, string Role, int SessionExpiresIn, string? ReturnUrl);

public sealed record EndedPortalSessionsResponse(string Object, int Ended);

/// <summary>The "portal" object of PATCH /v1/projects/{id}: omitted fields stay, null clears one.</summary>
public sealed record PortalSettingsRequest(
    Optional<IReadOnlyList<string?>?> AllowedOrigins, Optional<string?> ProductName, Optional<string?> AccentColor, Optional<string?> LogoUrl);

public sealed record PortalSettingsResponse(IReadOnlyList<string> AllowedOrigins, string? ProductName, string? AccentColor, string? LogoUrl)
{
    public static PortalSettingsResponse From(PortalSettings s) => new(s.AllowedOrigins, s.ProductName, s.AccentColor, s.LogoUrl);
}
