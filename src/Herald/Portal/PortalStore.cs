using System.Text.Json;
using Dapper;
using Herald.Common;
using Herald.Keys;
using Herald.Storage;

namespace Herald.Portal;

/// <summary>A project's portal settings: who may frame it, and its theme. Defaults (nothing set) mean no framing and Herald's look.</summary>
public sealed record PortalSettings(IReadOnlyList<string> AllowedOrigins, string? ProductName, string? AccentColor, string? LogoUrl)
{
    public static readonly PortalSettings None = new([], null, null, null);
}

/// <summary>One sign-in link and the session it started.</summary>
public sealed record PortalSessionRecord
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Role { get; init; }
    public required string TokenHash { get; init; }
    public string? ReturnUrl { get; init; }
    public long SessionSeconds { get; init; }
    public long LinkExpiresAt { get; init; }
    public long? OpenedAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long? EndedAt { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>Why a link did not open.</summary>
public enum OpenRefusal { None, Unknown, Used, Expired, Ended }

/// <summary>The portal's tables: settings per project, and sessions whose link token is stored only as its SHA-256 hash.</summary>
public sealed class PortalStore(Db db, TimeProvider time)
{
    private const string SessionColumns = """
        id AS Id, project_id AS ProjectId, role AS Role, token_hash AS TokenHash, return_url AS ReturnUrl, session_seconds AS SessionSeconds,
        link_expires_at AS LinkExpiresAt, opened_at AS OpenedAt, expires_at AS ExpiresAt, ended_at AS EndedAt, created_at AS CreatedAt
        """;

    public async Task<PortalSettings> GetSettingsAsync(string projectId, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string Origins, string? Name, string? Color, string? Logo)>(new CommandDefinition(
            "SELECT allowed_origins, product_name, accent_color, logo_url FROM portal_settings WHERE project_id = @projectId",
            new { projectId }, cancellationToken: ct));
        return row.Origins is null ? PortalSettings.None
            : new PortalSettings(JsonSerializer.Deserialize<List<string>>(row.Origins) ?? [], row.Name, row.Color, row.Logo);
    }

    public async Task SaveSettingsAsync(string projectId, PortalSettings settings, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO portal_settings (project_id, allowed_origins, product_name, accent_color, logo_url, updated_at)
            VALUES (@projectId, @origins, @name, @color, @logo, @now)
            ON CONFLICT (project_id) DO UPDATE SET allowed_origins = excluded.allowed_origins, product_name = excluded.product_name,
                accent_color = excluded.accent_color, logo_url = excluded.logo_url, updated_at = excluded.updated_at
            """, new
        {
            projectId, origins = JsonSerializer.Serialize(settings.AllowedOrigins), name = settings.ProductName, color = settings.AccentColor,
            logo = settings.LogoUrl, now = time.NowMs(),
        }, cancellationToken: ct));
    }

    /// <summary>A new link: returns the session and its token (the only time the token exists outside the browser).</summary>
    public async Task<(PortalSessionRecord Session, string Token)> CreateSessionAsync(string projectId, string role, int sessionSeconds,
        string? returnUrl, CancellationToken ct = default)
    {
        var token = "hps_" + Ids.RandomBase32(48);
        var now = time.NowMs();
        var session = new PortalSessionRecord
        {
            Id = Ids.New("pts"),
            ProjectId = projectId,
            Role = role,
            TokenHash = ApiKeySecret.Hash(token),
            ReturnUrl = returnUrl,
            SessionSeconds = sessionSeconds,
            LinkExpiresAt = now + (long)PortalRules.LinkLifetime.TotalMilliseconds,
            CreatedAt = now,
        };
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO portal_sessions (id, project_id, role, token_hash, return_url, session_seconds, link_expires_at, created_at)
            VALUES (@Id, @ProjectId, @Role, @TokenHash, @ReturnUrl, @SessionSeconds, @LinkExpiresAt, @CreatedAt)
            """, session, cancellationToken: ct));
        return (session, token);
    }

    /// <summary>
    /// Opens a link once: the first caller that presents the token before the link expires gets the session (its clock starts now);
    /// every later presentation is refused, and so is one after the link expired or after the project's sessions were ended.
    /// </summary>
    public async Task<(PortalSessionRecord? Session, OpenRefusal Refusal)> OpenAsync(string token, CancellationToken ct = default)
    {
        var hash = ApiKeySecret.Hash(token);
        await using var connection = await db.OpenAsync(ct);
        var found = await connection.QuerySingleOrDefaultAsync<PortalSessionRecord>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM portal_sessions WHERE token_hash = @hash", new { hash }, cancellationToken: ct));
        if (found is null || !ApiKeySecret.HashesEqual(found.TokenHash, hash)) return (null, OpenRefusal.Unknown);
        var now = time.NowMs();
        if (found.EndedAt is not null) return (found, OpenRefusal.Ended);
        if (found.OpenedAt is not null) return (found, OpenRefusal.Used);
        if (found.LinkExpiresAt <= now) return (found, OpenRefusal.Expired);
        var expiresAt = now + found.SessionSeconds * 1000;
        // The conditional update is the single use: of two concurrent opens, one changes the row and the other changes nothing.
        var opened = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE portal_sessions SET opened_at = @now, expires_at = @expiresAt
            WHERE id = @id AND opened_at IS NULL AND ended_at IS NULL AND link_expires_at > @now
            """, new { id = found.Id, now, expiresAt }, cancellationToken: ct));
        return opened == 1 ? (found with { OpenedAt = now, ExpiresAt = expiresAt }, OpenRefusal.None) : (found, OpenRefusal.Used);
    }

    public async Task<PortalSessionRecord?> GetSessionAsync(string id, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<PortalSessionRecord>(new CommandDefinition(
            $"SELECT {SessionColumns} FROM portal_sessions WHERE id = @id", new { id }, cancellationToken: ct));
    }

    /// <summary>The session when it was opened and has neither expired nor been ended.</summary>
    public async Task<PortalSessionRecord?> FindLiveAsync(string id, CancellationToken ct = default)
    {
        var session = await GetSessionAsync(id, ct);
        return session is { OpenedAt: not null, EndedAt: null, ExpiresAt: { } until } && until > time.NowMs() ? session : null;
    }

    public async Task EndAsync(string id, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE portal_sessions SET ended_at = COALESCE(ended_at, @now) WHERE id = @id", new { id, now = time.NowMs() }, cancellationToken: ct));
    }

    /// <summary>Ends every session of the project (open or not yet opened); returns how many were still usable.</summary>
    public async Task<int> EndAllAsync(string projectId, CancellationToken ct = default)
    {
        var now = time.NowMs();
        await using var connection = await db.OpenAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE portal_sessions SET ended_at = @now
            WHERE project_id = @projectId AND ended_at IS NULL
              AND ((opened_at IS NULL AND link_expires_at > @now) OR (opened_at IS NOT NULL AND expires_at > @now))
            """, new { projectId, now }, cancellationToken: ct));
    }
}
