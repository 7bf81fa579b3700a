using System.Collections.Concurrent;
using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Events;

/// <summary>
/// The subscribable event types: the built-in ones (upserted at start) and operators' own, with an optional JSON Schema
/// each. Held in memory; reloaded when this node changes it, every 30 s, and at most once a second on an unknown name
/// (another node may just have added it).
/// </summary>
public sealed class EventCatalog(Db db, TimeProvider time)
{
    public static readonly IReadOnlyList<(string Name, string Description)> Builtins =
    [
        ("billing.budget.alert", "A project crossed 50 %, 80 % or 100 % of its monthly budget."),
        ("promise.status_changed", "A tracked promise changed status (kept, broken, in progress)."),
        ("auth.signup", "A user signed up."),
        ("auth.login", "A user signed in."),
        ("auth.password_reset", "A user reset their password."),
        ("db.insert", "A row was inserted."),
        ("db.update", "A row was updated."),
        ("db.delete", "A row was deleted."),
        ("storage.upload", "A file was uploaded."),
        ("storage.delete", "A file was deleted."),
        ("functions.invoked", "A function was invoked."),
        ("functions.error", "A function failed."),
        ("user.created", "A user was created."),
        ("user.updated", "A user was updated."),
        ("user.deleted", "A user was deleted."),
        ("test.ping", "A test notification sent by a Test button or endpoint."),
        ("herald.destination.disabled", "Herald disabled a destination after it kept failing or answered 410 Gone."),
        ("herald.destination.circuit_opened", "A destination kept failing: Herald pauses sending to it and probes it after a cool-down."),
        ("herald.destination.recovered", "A destination whose circuit was open answered a probe: Herald sends to it again."),
        ("herald.delivery.failed", "A delivery ran out of retries (or its destination answered 410 Gone): Herald stopped trying it."),
    ];

    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(30);
    private volatile Dictionary<string, EventType> _types = new();
    private readonly ConcurrentDictionary<string, BoundedSchema> _schemas = new();
    private long _loadedAt;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await UpsertBuiltinsAsync(Builtins, ct);
        await ReloadAsync(ct);
    }

    private async Task UpsertBuiltinsAsync(IEnumerable<(string Name, string Description)> types, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        foreach (var (name, description) in types)
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO event_types (name, description, builtin, created_at) VALUES (@name, @description, 1, @now)
                ON CONFLICT (name) DO UPDATE SET description = excluded.description, builtin = 1
                """, new { name, description, now = time.NowMs() }, cancellationToken: ct));
    }

    private readonly ConcurrentDictionary<string, byte> _openNamespaces = new(StringComparer.Ordinal);

    /// <summary>
    /// An inbound source's namespace ("stripe"): its listed types become built-in, and every type under it counts as known,
    /// for publishing and for subscribing (stripe.* or an exact type), since a provider sends types no list keeps up with.
    /// </summary>
    public async Task AddNamespaceAsync(string ns, IEnumerable<(string Name, string Description)> listed, CancellationToken ct = default)
    {
        _openNamespaces[ns] = 0;
        await UpsertBuiltinsAsync(listed, ct);
        await ReloadAsync(ct);
    }

    /// <summary>Whether <paramref name="type"/> (or a pattern) lies under an inbound source's namespace.</summary>
    public bool IsInOpenNamespace(string type)
    {
        var dot = type.IndexOf('.');
        return dot > 0 && dot < type.Length - 1 && _openNamespaces.ContainsKey(type[..dot]);
    }

    public async Task<IReadOnlyCollection<EventType>> AllAsync(CancellationToken ct)
    {
        await RefreshIfStaleAsync(ct);
        return _types.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<EventType?> FindAsync(string name, CancellationToken ct)
    {
        await RefreshIfStaleAsync(ct);
        if (_types.TryGetValue(name, out var type)) return type;
        if (time.NowMs() - Interlocked.Read(ref _loadedAt) < 1000) return null;
        await ReloadAsync(ct);
        return _types.GetValueOrDefault(name);
    }

    public async Task<bool> IsKnownOrPatternAsync(string pattern, CancellationToken ct)
    {
        if (pattern == "*" || IsInOpenNamespace(pattern)) return true;
        await RefreshIfStaleAsync(ct);
        if (Matches(pattern)) return true;
        if (time.NowMs() - Interlocked.Read(ref _loadedAt) < 1000) return false;
        await ReloadAsync(ct);
        return Matches(pattern);
    }

    private bool Matches(string pattern) => IsInOpenNamespace(pattern) || pattern.EndsWith(".*", StringComparison.Ordinal)
        ? _types.Keys.Any(t => t.StartsWith(pattern[..^1], StringComparison.Ordinal))
        : _types.ContainsKey(pattern);

    /// <summary>
    /// Validation errors of <paramref name="dataJson"/> against the type's schema: (path, message); empty when valid or no schema.
    /// Bounded in time (<see cref="BoundedSchema.Budget"/>): when the budget runs out, the one error says so where it stopped.
    /// </summary>
    public IReadOnlyList<(string Path, string Message)> Validate(EventType type, string dataJson)
    {
        if (type.Schema is null) return [];
        var schema = _schemas.GetOrAdd(type.Schema, text => BoundedSchema.CompileAsync(text).GetAwaiter().GetResult());
        try
        {
            return schema.Validate(dataJson).Select(e => (PathOf(e.Path), Describe(e.Kind))).ToList();
        }
        catch (SchemaBudgetExceededException timeout)
        {
            return [(PathOf(timeout.Path), $"took longer than {BoundedSchema.Budget.TotalMilliseconds:0} ms to check against the schema's patterns.")];
        }
    }

    private static string PathOf(string? path) => path?.TrimStart('#', '/').Replace('/', '.') ?? "";

    /// <summary>"PropertyRequired" → "property required".</summary>
    private static string Describe(NJsonSchema.Validation.ValidationErrorKind kind) =>
        System.Text.RegularExpressions.Regex.Replace(kind.ToString(), "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant();

    public async Task<bool> AddAsync(string name, string description, string? schema, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO event_types (name, description, schema, builtin, created_at) VALUES (@name, @description, @schema, 0, @now)
            ON CONFLICT (name) DO NOTHING
            """, new { name, description, schema, now = time.NowMs() }, cancellationToken: ct));
        await ReloadAsync(ct);
        return added > 0;
    }

    public async Task<bool> UpdateAsync(string name, string? description, Optional<string?> schema, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE event_types SET description = COALESCE(@description, description),
                schema = CASE WHEN @setSchema = 1 THEN @schema ELSE schema END
            WHERE name = @name
            """, new { name, description, setSchema = schema.IsSet ? 1 : 0, schema = schema.Value }, cancellationToken: ct));
        await ReloadAsync(ct);
        return changed > 0;
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM event_types WHERE name = @name AND builtin = 0", new { name }, cancellationToken: ct));
        await ReloadAsync(ct);
        return deleted > 0;
    }

    private async Task RefreshIfStaleAsync(CancellationToken ct)
    {
        if (time.NowMs() - Interlocked.Read(ref _loadedAt) > RefreshInterval.TotalMilliseconds) await ReloadAsync(ct);
    }

    private async Task ReloadAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenAsync(ct);
        var rows = await connection.QueryAsync<EventType>(new CommandDefinition(
            "SELECT name AS Name, description AS Description, schema AS Schema, builtin AS Builtin, created_at AS CreatedAt FROM event_types",
            cancellationToken: ct));
        _types = rows.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Interlocked.Exchange(ref _loadedAt, time.NowMs());
    }
}

public sealed record EventType
{
    public required string Name { get; init; }
    public required string Description { get; init; }
    public string? Schema { get; init; }
    public long Builtin { get; init; }
    public long CreatedAt { get; init; }
    public bool IsBuiltin => Builtin != 0;
}
