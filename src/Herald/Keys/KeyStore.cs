using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Keys;

/// <summary>API keys: created with their secret shown once, stored as hash + prefix, looked up by hash, revoked.</summary>
public sealed class KeyStore(Db db, TimeProvider time)
{
    private const string Columns =
        "id AS Id, project_id AS ProjectId, role AS Role, name AS Name, prefix AS Prefix, hash AS Hash, " +
        "created_at AS CreatedAt, last_used_at AS LastUsedAt, revoked_at AS RevokedAt";

    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, long> _lastTouched = new();

    public async Task<(ApiKeyRecord Key, string Secret)> CreateAsync(string? projectId, string role, string name,
        string? secret = null, DbConnection? connection = null, DbTransaction? tx = null, CancellationToken ct = default)
    {
        secret ??= ApiKeySecret.Generate(role);
        var key = new ApiKeyRecord(Ids.New("key"), projectId, role, name, ApiKeySecret.VisiblePrefix(secret),
            ApiKeySecret.Hash(secret), time.NowMs(), null, null);

        const string sql = """
            INSERT INTO api_keys (id, project_id, role, name, prefix, hash, created_at)
            VALUES (@Id, @ProjectId, @Role, @Name, @Prefix, @Hash, @CreatedAt)
            """;
        if (connection is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, key, tx, cancellationToken: ct));
        }
        else
        {
            await using var own = await db.OpenAsync(ct);
            await own.ExecuteAsync(new CommandDefinition(sql, key, cancellationToken: ct));
        }
        return (key, secret);
    }

    /// <summary>
    /// Recently seen keys, by hash, for 10 s: authentication then costs no query on every request. A revocation on this node
    /// takes effect at once; on other nodes within those 10 s.
    /// </summary>
    private readonly ConcurrentDictionary<string, (ApiKeyRecord Key, long Until)> _recent = new();
    private const long CacheMs = 10_000;

    public async Task<ApiKeyRecord?> FindActiveAsync(string secret, CancellationToken ct = default)
    {
        var hash = ApiKeySecret.Hash(secret);
        if (_recent.TryGetValue(hash, out var cached) && cached.Until > Environment.TickCount64) return cached.Key;
        var found = await LookupAsync(hash, ct);
        if (found is not null)
        {
            if (_recent.Count > 10_000) _recent.Clear();
            _recent[hash] = (found, Environment.TickCount64 + CacheMs);
        }
        return found;
    }

    private async Task<ApiKeyRecord?> LookupAsync(string hash, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var key = await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE hash = @hash AND revoked_at IS NULL", new { hash }, cancellationToken: ct));
        return key is not null && ApiKeySecret.HashesEqual(key.Hash, hash) ? key : null;
    }

    public async Task<ApiKeyRecord?> FindActiveByIdAsync(string keyId, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE id = @keyId AND revoked_at IS NULL", new { keyId }, cancellationToken: ct));
    }

    public async Task<Page<ApiKeyRecord>> ListAsync(string projectId, string? cursor, int limit, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var after = Cursor.TryDecode(cursor, out var afterAt, out var afterId);
        var rows = (await connection.QueryAsync<ApiKeyRecord>(new CommandDefinition($"""
            SELECT {Columns} FROM api_keys
            WHERE project_id = @projectId AND (@after = 0 OR created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
            ORDER BY created_at, id LIMIT @take
            """, new { projectId, after = after ? 1 : 0, afterAt, afterId, take = limit + 1 }, cancellationToken: ct))).ToList();
        return Paging.ToPage(rows, limit, k => Cursor.Encode(k.CreatedAt, k.Id));
    }

    public async Task<ApiKeyRecord?> GetAsync(string projectId, string keyId, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRecord>(new CommandDefinition(
            $"SELECT {Columns} FROM api_keys WHERE id = @keyId AND project_id = @projectId", new { projectId, keyId }, cancellationToken: ct));
    }

    /// <summary>Revokes the key; false when it does not exist in this project. Revoking twice keeps the first time.</summary>
    public async Task<bool> RevokeAsync(string projectId, string keyId, CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @now) WHERE id = @keyId AND project_id = @projectId",
            new { projectId, keyId, now = time.NowMs() }, cancellationToken: ct));
        foreach (var entry in _recent.Where(e => e.Value.Key.Id == keyId)) _recent.TryRemove(entry.Key, out _);
        return found > 0;
    }

    /// <summary>Records last use at most once a minute per key, so authentication does not write on every request.</summary>
    public async Task TouchAsync(ApiKeyRecord key, CancellationToken ct = default)
    {
        var now = time.NowMs();
        var last = _lastTouched.GetValueOrDefault(key.Id, key.LastUsedAt ?? 0);
        if (now - last < TouchInterval.TotalMilliseconds) return;
        _lastTouched[key.Id] = now;
        await using var connection = await db.OpenAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE api_keys SET last_used_at = @now WHERE id = @id", new { id = key.Id, now }, cancellationToken: ct));
    }

    public async Task<int> CountAsync(DbConnection connection, DbTransaction? tx, CancellationToken ct = default) =>
        await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM api_keys", transaction: tx, cancellationToken: ct));
}
