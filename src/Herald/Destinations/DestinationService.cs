using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Herald.Common;
using Herald.Destinations.Kinds;
using Herald.Errors;
using Herald.Net;
using Herald.Options;
using Herald.Projects;
using Herald.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Destinations;

/// <summary>
/// The one place destinations are validated, sealed, created and changed, whichever route family asks.
/// URLs, custom headers and signing secrets are sealed before they reach the store; only host and fingerprint stay readable.
/// </summary>
public sealed partial class DestinationService(
    DestinationStore store, ProjectStore projects, PlanCatalog plans, UrlValidator urls, Sealer sealer, Fingerprinter fingerprints,
    Events.EventCatalog catalog, TimeProvider time, Delivery.DeliveryStore deliveries, DestinationKindRegistry kinds,
    Controls.ControlsService controls)
{
    public const int MaxNameLength = 100;
    public const int MaxEvents = 100;
    public const int MaxCategories = 50;
    public const int MaxHeaders = 20;
    private static readonly string[] Methods = ["POST", "PUT", "PATCH"];
    private static readonly string[] ReservedHeaders =
        ["host", "content-type", "content-length", "transfer-encoding", "connection", "webhook-id",
         "webhook-timestamp", "webhook-signature", "x-herald-signature", "user-agent", "cookie", "proxy-authorization", "te", "upgrade"];

    /// <summary>Creates a destination of a registered kind (<paramref name="input"/>.Kind must be one: surfaces resolve it first).</summary>
    public async Task<(DestinationRecord? Destination, ProblemHttpResult? Problem)> CreateAsync(string projectId, DestinationInput input, CancellationToken ct)
    {
        var f = input.Fields;
        var kind = kinds.Get(input.Kind);
        if (kinds.RefuseSettings(kind, input.Settings, f.SettingsPrefix, allowNull: false) is { } refused) return (null, Problems.Result(refused));
        var v = new Validation();
        var name = v.Text(f.Name, input.Name, MaxNameLength) ?? kind.Listing.Name;
        var method = CheckMethod(v, f.Method, input.Method);
        var headers = CheckHeaders(v, f.Headers, input.Headers);
        var events = await CheckKnownEventsAsync(v, f.Events, input.Events, ct) ?? ["*"];
        var categories = CheckCategories(v, f.Categories, input.Categories);
        var secret = CheckSecret(v, f.Secret, input.SigningSecret);
        var settings = CheckSettings(v, kind, DestinationSettings.Empty, input.Settings, f.SettingsPrefix);
        var url = await urls.CheckAsync(input.Url, kind.Endpoint, ct);
        if (!url.IsValid) v.Add(f.Url, url.Error!);
        // Managed platforms and brokers take their own format: method and headers are for custom webhooks, and so are signatures.
        if (!kind.TakesHttpOptions)
        {
            if (input.Method is not null && method != "POST") v.Add(f.Method, "only custom webhooks take a method.");
            if (headers is not null) v.Add(f.Headers, "only custom webhooks take custom headers.");
        }
        if (!kind.Signed && input.SigningSecret is not null) v.Add(f.Secret, "only custom webhooks are signed.");
        var newControls = controls.Check(v, kind.Slug, "", projectId, input.Controls, null);
        if (!v.IsValid) return (null, v.Problem());

        var project = await projects.GetAsync(projectId, ct) ?? throw new InvalidOperationException("The caller's project is gone.");
        var id = Guid.CreateVersion7().ToString();
        var now = time.NowMs();
        if (kind.Signed) secret ??= NewSigningSecret();
        var destination = new DestinationRecord
        {
            Id = id,
            ProjectId = projectId,
            Kind = kind.Slug,
            PayloadStyle = input.PayloadStyle,
            UrlVisibleToOwner = input.UrlVisibleToOwner,
            ProviderSlot = input.ProviderSlot,
            Settings = settings.ToJson(),
            Name = name,
            UrlSealed = sealer.Seal(input.Url!.Trim(), SealedColumns.DestinationUrl.Context(id)),
            UrlFingerprint = fingerprints.Of(input.Url!.Trim()),
            DestinationHost = url.Host!,
            HttpMethod = method,
            HeadersSealed = headers is null ? null : sealer.Seal(JsonSerializer.Serialize(headers), SealedColumns.DestinationHeaders.Context(id)),
            SigningSecretSealed = secret is null ? null : sealer.Seal(secret, SealedColumns.DestinationSecret.Context(id)),
            EventTypes = JsonSerializer.Serialize(events),
            Categories = categories is null ? null : JsonSerializer.Serialize(categories),
            Status = DestinationStatuses.Active,
            CreatedAt = now,
            UpdatedAt = now,
        };

        var limit = plans.ConnectorLimit(project.Plan);
        // The controls are written in the destination's own transaction: a filtered destination never sees an unfiltered event.
        if (!await store.InsertWithinLimitAsync(destination, limit, ct, newControls is null ? null
                : (connection, tx) => controls.SaveAsync(newControls with { DestinationId = id }, ct, connection, tx)))
            return (null, Problems.Result(Problems.Create(StatusCodes.Status403Forbidden, "plan_limit_reached",
                "The project's plan allows no more connectors.",
                $"The '{project.Plan}' plan allows {limit} connector(s); remove one or move the project to a larger plan.")));
        return (destination, null);
    }

    /// <summary>Applies a change to an existing destination; URL changes are validated and re-sealed like a new install.</summary>
    public async Task<(DestinationRecord? Destination, ProblemHttpResult? Problem)> UpdateAsync(DestinationRecord current, DestinationChange change, CancellationToken ct)
    {
        var f = change.Fields;
        var kind = kinds.Get(current.Kind);
        if (kinds.RefuseSettings(kind, change.Settings, f.SettingsPrefix, allowNull: true) is { } refused) return (null, Problems.Result(refused));
        var v = new Validation();
        var updated = current;
        if (change.Name is not null) updated = updated with { Name = v.Text(f.Name, change.Name, MaxNameLength) ?? current.Name };
        if (change.Status is not null)
        {
            if (change.Status is DestinationStatuses.Active or DestinationStatuses.Disabled)
                updated = updated with { Status = change.Status, FailingSince = change.Status == DestinationStatuses.Active ? null : current.FailingSince };
            else v.Add(f.Status, "must be 'active' or 'disabled'.");
        }
        if (change.Events is not null) updated = updated with { EventTypes = JsonSerializer.Serialize(await CheckKnownEventsAsync(v, f.Events, change.Events, ct) ?? ["*"]) };
        if (change.Categories.IsSet)
        {
            var categories = change.Categories.Value is null ? null : CheckCategories(v, f.Categories, change.Categories.Value);
            updated = updated with { Categories = categories is null ? null : JsonSerializer.Serialize(categories) };
        }
        if (!kind.TakesHttpOptions && (change.Method is not null || change.Headers.IsSet))
            v.Add(change.Method is not null ? f.Method : f.Headers, "only custom webhooks take a method or custom headers.");
        else if (change.Method is not null) updated = updated with { HttpMethod = CheckMethod(v, f.Method, change.Method) };
        if (change.Settings is { Count: > 0 })
            updated = updated with { Settings = CheckSettings(v, kind, kind.SettingsOf(current), change.Settings, f.SettingsPrefix).ToJson() };
        if (change.Headers.IsSet && kind.TakesHttpOptions)
        {
            var headers = change.Headers.Value is null ? null : CheckHeaders(v, f.Headers, change.Headers.Value);
            updated = updated with { HeadersSealed = headers is null ? null : sealer.Seal(JsonSerializer.Serialize(headers), SealedColumns.DestinationHeaders.Context(current.Id)) };
        }
        if (change.Url is not null)
        {
            var url = await urls.CheckAsync(change.Url, kind.Endpoint, ct);
            if (!url.IsValid) v.Add(f.Url, url.Error!);
            else updated = updated with
            {
                UrlSealed = sealer.Seal(change.Url.Trim(), SealedColumns.DestinationUrl.Context(current.Id)),
                UrlFingerprint = fingerprints.Of(change.Url.Trim()),
                DestinationHost = url.Host!,
                UrlVisibleToOwner = change.UrlVisibleToOwner,
            };
        }
        var newControls = change.Controls is { Any: true }
            ? controls.Check(v, current.Kind, current.Id, current.ProjectId, change.Controls, await controls.GetAsync(current.Id, ct))
            : null;
        if (!v.IsValid) return (null, v.Problem());
        updated = updated with { UpdatedAt = time.NowMs() };
        if (!await store.UpdateAsync(current, updated, ct)) return (null, Problems.NotFound("Destination"));
        if (newControls is not null) await controls.SaveAsync(newControls, ct);
        // Turned off: what it still had waiting ends as failed (destination_disabled); bulk recover re-queues it.
        if (current.Status == DestinationStatuses.Active && updated.Status != DestinationStatuses.Active)
            await deliveries.FailPendingAsync(current.Id, ct);
        return (updated, null);
    }

    public string OpenUrl(DestinationRecord d) => sealer.Open(d.UrlSealed, SealedColumns.DestinationUrl.Context(d.Id));

    public IReadOnlyDictionary<string, string> OpenHeaders(DestinationRecord d) => d.HeadersSealed is null
        ? new Dictionary<string, string>()
        : JsonSerializer.Deserialize<Dictionary<string, string>>(sealer.Open(d.HeadersSealed, SealedColumns.DestinationHeaders.Context(d.Id)))!;

    public string? OpenSigningSecret(DestinationRecord d) =>
        d.SigningSecretSealed is null ? null : sealer.Open(d.SigningSecretSealed, SealedColumns.DestinationSecret.Context(d.Id));

    public string? OpenPreviousSigningSecret(DestinationRecord d) =>
        d.PreviousSecretSealed is null ? null : sealer.Open(d.PreviousSecretSealed, SealedColumns.DestinationPreviousSecret.Context(d.Id));

    /// <summary>Replaces the signing secret; the old one keeps signing beside it for <paramref name="overlap"/>. Returns the new secret.</summary>
    public async Task<(string? Secret, DateTimeOffset? PreviousValidUntil, ProblemHttpResult? Problem)> RotateSecretAsync(
        DestinationRecord d, string? chosen, TimeSpan overlap, CancellationToken ct)
    {
        var v = new Validation();
        var secret = chosen is null ? NewSigningSecret() : CheckSecret(v, "secret", chosen);
        if (!v.IsValid) return (null, null, v.Problem());
        var hadSecret = d.SigningSecretSealed is not null;
        var until = time.GetUtcNow().Add(overlap);
        var rotated = await store.RotateSecretAsync(d.Id,
            sealer.Seal(secret!, SealedColumns.DestinationSecret.Context(d.Id)),
            hadSecret ? sealer.Seal(OpenSigningSecret(d)!, SealedColumns.DestinationPreviousSecret.Context(d.Id)) : null,
            hadSecret ? until.ToUnixTimeMilliseconds() : null, ct);
        if (!rotated) return (null, null, Problems.NotFound("Destination"));
        return (secret, hadSecret ? until : null, null);
    }

    public static IReadOnlyList<string> EventsOf(DestinationRecord d) => JsonSerializer.Deserialize<string[]>(d.EventTypes)!;

    public static IReadOnlyList<string>? CategoriesOf(DestinationRecord d) =>
        d.Categories is null ? null : JsonSerializer.Deserialize<string[]>(d.Categories);

    public const string NonBase64SecretWarning =
        "This secret is not base64 after 'whsec_', so Standard Webhooks libraries (such as the standardwebhooks packages) cannot use it " +
        "to verify the webhook-signature header. Verify the X-Herald-Signature header instead (hex HMAC-SHA256 of the raw body, keyed " +
        "with the whole secret string), or use a secret of the form whsec_<base64>, such as the one Herald generates when none is given.";

    /// <summary>What a caller should know about the secret they chose (none for generated secrets).</summary>
    public static IReadOnlyList<string> SecretWarnings(string? chosen) =>
        chosen is not null && !IsStandardSecret(chosen) ? [NonBase64SecretWarning] : [];

    /// <summary>True when the part after "whsec_" is base64, as Standard Webhooks libraries require.</summary>
    public static bool IsStandardSecret(string secret)
    {
        var encoded = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret;
        return encoded.Length > 0 && Convert.TryFromBase64String(encoded, new byte[encoded.Length], out _);
    }

    /// <summary>A Standard Webhooks secret: "whsec_" + base64 of 24 random bytes.</summary>
    public static string NewSigningSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    /// <summary>
    /// Applies sent settings (already known to the kind and strings, or null to remove one) over <paramref name="current"/>:
    /// each is checked on its own, then the kind checks them together. Problems name the field as the caller sent it.
    /// </summary>
    private static DestinationSettings CheckSettings(Validation v, DestinationKind kind, DestinationSettings current,
        IReadOnlyDictionary<string, JsonElement>? given, string prefix)
    {
        if (given is null || given.Count == 0) return current;
        var values = new Dictionary<string, string>(current.Values);
        foreach (var (name, value) in given)
        {
            if (value.ValueKind == JsonValueKind.Null) { values.Remove(name); continue; }
            var text = value.GetString()!.Trim();
            if (kind.Settings.First(s => s.Name == name).Problem(text) is { } problem) v.Add(prefix + name, problem);
            else values[name] = text;
        }
        var settings = DestinationSettings.Of(values, kind);
        var errors = new List<(string Setting, string Error)>();
        kind.CheckSettings(settings, errors);
        foreach (var (setting, error) in errors) v.Add(prefix + setting, error);
        return settings;
    }

    private static string CheckMethod(Validation v, string field, string? method)
    {
        if (method is null) return "POST";
        var upper = method.Trim().ToUpperInvariant();
        if (Methods.Contains(upper)) return upper;
        v.Add(field, "must be POST, PUT or PATCH.");
        return "POST";
    }

    private static Dictionary<string, string>? CheckHeaders(Validation v, string field, IReadOnlyDictionary<string, string>? headers)
    {
        if (headers is null || headers.Count == 0) return null;
        if (headers.Count > MaxHeaders) { v.Add(field, $"may have at most {MaxHeaders} entries."); return null; }
        foreach (var (name, value) in headers)
        {
            if (!HeaderName().IsMatch(name)) v.Add($"{field}.{Truncate(name)}", "is not a valid header name.");
            else if (ReservedHeaders.Contains(name.ToLowerInvariant())) v.Add($"{field}.{name}", "is set by Herald and cannot be overridden.");
            else if (name.StartsWith("ce-", StringComparison.OrdinalIgnoreCase)) v.Add($"{field}.{name}", "is a CloudEvents header (ce-*), set by Herald.");
            else if (value is null || value.Length > 4096 || !IsSendableHeaderValue(value))
                v.Add($"{field}.{name}", "must be at most 4096 characters of visible ASCII, spaces and tabs, not starting or ending with a space or tab (no accented letters, line breaks or other Unicode).");
        }
        return headers.ToDictionary();
    }

    /// <summary>
    /// What an HTTP/1.1 request can carry as a field value: visible ASCII (0x21-0x7E) with spaces and tabs inside it. Anything
    /// else is refused by the HTTP stack at send time, or changed on the way (surrounding whitespace is stripped by receivers).
    /// </summary>
    internal static bool IsSendableHeaderValue(string value) =>
        value.All(c => c is >= '\x21' and <= '\x7e' or ' ' or '\t') && (value.Length == 0 || (value[0] is not (' ' or '\t') && value[^1] is not (' ' or '\t')));

    /// <summary>Event patterns that are well formed and name something in the catalog (an exact type, a prefix.* of one, or *).</summary>
    private async Task<IReadOnlyList<string>?> CheckKnownEventsAsync(Validation v, string field, IReadOnlyList<string>? events, CancellationToken ct)
    {
        var checkedEvents = CheckEvents(v, field, events);
        if (checkedEvents is null) return null;
        for (var i = 0; i < checkedEvents.Count; i++)
            if (!await catalog.IsKnownOrPatternAsync(checkedEvents[i], ct))
                v.Add($"{field}[{i}]", $"'{checkedEvents[i]}' is not a known event type; GET /v1/event-types lists them.");
        return checkedEvents;
    }

    internal static IReadOnlyList<string>? CheckEvents(Validation v, string field, IReadOnlyList<string>? events)
    {
        if (events is null) return null;
        if (events.Count == 0) { v.Add(field, "must list at least one event type (use \"*\" for all)."); return null; }
        if (events.Count > MaxEvents) { v.Add(field, $"may list at most {MaxEvents} event types."); return null; }
        var wellFormed = true;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] is not null && EventPattern().IsMatch(events[i])) continue;
            v.Add($"{field}[{i}]", "must be an event type such as db.insert, a pattern such as db.*, or *.");
            wellFormed = false;
        }
        return wellFormed ? events.Distinct().ToList() : null;
    }

    private static IReadOnlyList<string>? CheckCategories(Validation v, string field, IReadOnlyList<string>? categories)
    {
        if (categories is null) return null;
        if (categories.Count > MaxCategories) { v.Add(field, $"may list at most {MaxCategories} categories."); return null; }
        for (var i = 0; i < categories.Count; i++)
            if (categories[i] is null || !Category().IsMatch(categories[i])) v.Add($"{field}[{i}]", "must be 1-64 letters, digits, '-', '_' or '.'.");
        return categories.Count == 0 ? null : categories.Distinct().ToList();
    }

    private static string? CheckSecret(Validation v, string field, string? secret)
    {
        if (secret is null) return null;
        if (!secret.StartsWith("whsec_", StringComparison.Ordinal) || secret.Length < 6 + 16 || secret.Length > 6 + 128 || secret.Any(char.IsWhiteSpace))
        {
            v.Add(field, "must start with whsec_ followed by 16 to 128 characters.");
            return null;
        }
        return secret;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40];

    [GeneratedRegex(@"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")]
    private static partial Regex EventPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex Category();

    [GeneratedRegex(@"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]
    private static partial Regex HeaderName();
}

/// <summary>A change to a destination; null (or unset) fields stay as they are.</summary>
public sealed record DestinationChange
{
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Url { get; init; }
    public string? Method { get; init; }
    public Optional<IReadOnlyDictionary<string, string>?> Headers { get; init; }
    public IReadOnlyList<string>? Events { get; init; }
    public Optional<IReadOnlyList<string>?> Categories { get; init; }
    /// <summary>With a new URL: whether admins may see it again (true only for seed 002's webhook routes).</summary>
    public bool UrlVisibleToOwner { get; init; }
    /// <summary>Kind-specific settings to change; a null value returns the setting to its default.</summary>
    public IReadOnlyDictionary<string, JsonElement>? Settings { get; init; }
    /// <summary>Delivery controls to change (filter, retry schedule, time-out, rate limit, ordering); see Controls/.</summary>
    public Controls.ControlsChange? Controls { get; init; }
    public ChangeFieldNames Fields { get; init; } = ChangeFieldNames.Default;
}

public sealed record ChangeFieldNames(string Name, string Status, string Url, string Method, string Headers, string Events, string Categories)
{
    public static readonly ChangeFieldNames Default = new("name", "status", "url", "method", "headers", "events", "categories");

    /// <summary>What goes before a setting's name in a problem's field: "" (top level) or e.g. "config.".</summary>
    public string SettingsPrefix { get; init; } = "";
}
