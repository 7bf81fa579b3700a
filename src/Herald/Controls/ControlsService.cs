using System.Data.Common;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Errors;

namespace Herald.Controls;

/// <summary>
/// The one place delivery controls are checked and saved, whichever route family sets them. Checking adds each problem to the
/// caller's <see cref="Validation"/> under the path of the field that was sent (e.g. <c>filter.data.amount.$gtee</c>), so a
/// destination and its controls are refused together and nothing is stored.
/// </summary>
public sealed class ControlsService(ControlsStore store, ControlsCache cache, RateGate rates, TimeProvider time)
{
    /// <summary>
    /// The controls a destination will have after <paramref name="change"/> (null: none at all, or nothing to write when there
    /// is no change). Problems go to <paramref name="v"/>.
    /// </summary>
    public DestinationControls? Check(Validation v, string kind, string destinationId, string projectId, ControlsChange? change,
        DestinationControls? current)
    {
        if (change is null || !change.Any) return null;
        var f = change.Fields;
        var next = current ?? new DestinationControls { DestinationId = destinationId, ProjectId = projectId };
        if (change.Filter.IsSet) next = next with { Filter = CheckFilter(v, f.Filter, change.Filter.Value) };
        if (change.RetrySchedule.IsSet) next = next with { RetrySchedule = CheckSchedule(v, f.RetrySchedule, change.RetrySchedule.Value) };
        if (change.Timeout.IsSet) next = next with { TimeoutMs = CheckTimeout(v, f.Timeout, change.Timeout.Value) };
        if (change.Ordering.IsSet)
        {
            if (change.Ordering.Value is null or Orderings.Fifo) next = next with { Ordering = change.Ordering.Value };
            else v.Add(f.Ordering, "must be \"fifo\" (or null for the usual concurrent delivery).");
        }
        if (change.Template.IsSet) next = next with { Template = CheckTemplate(v, f.Template, kind, change.Template.Value) };
        if (change.RateLimit.IsSet)
        {
            var (limit, period) = CheckRate(v, f.RateLimit, change.RateLimit.Value);
            next = next with { RateLimit = limit, RatePeriodMs = period };
        }
        return next with { UpdatedAt = time.NowMs() };
    }

    private static string? CheckFilter(Validation v, string field, JsonObject? filter)
    {
        if (filter is null || filter.Count == 0) return null;
        var (parsed, errors) = EventFilter.Parse(filter, field);
        foreach (var (path, message) in errors) v.Add(path, message);
        return parsed?.Json;
    }

    private static string? CheckTemplate(Validation v, string field, string kind, string? template)
    {
        if (template is null) return null;
        if (MessageTemplate.TargetOf(kind) is null)
        {
            v.Add(field, $"is not available for {kind} destinations (only slack, discord, teams, webhook, rabbitmq and nats).");
            return null;
        }
        if (template.Trim().Length == 0)
        {
            v.Add(field, "must not be empty (null goes back to the kind's own message).");
            return null;
        }
        var (_, error) = MessageTemplate.Parse(template);
        if (error is not null) v.Add(field, error);
        return error is null ? template : null;
    }

    private static string? CheckSchedule(Validation v, string field, string? schedule)
    {
        if (schedule is null) return null;
        var steps = Delivery.RetrySchedule.Parse(schedule);
        if (steps is null || schedule.Length > 500)
        {
            v.Add(field, "must be 1 to 50 comma-separated durations such as \"10s,1m,10m,1h\" (units ms, s, m, h, d; each at most 30 days).");
            return null;
        }
        return string.Join(",", schedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
    }

    public const int MaxPerSecond = 1000;
    public const int MaxPerMinute = 60_000;

    private static (int? Limit, long? PeriodMs) CheckRate(Validation v, string field, RateLimitInput? rate)
    {
        if (rate is null) return (null, null);
        if ((rate.PerSecond is null) == (rate.PerMinute is null))
        {
            v.Add(field, "must give one of per_second or per_minute, such as {\"per_second\": 5}.");
            return (null, null);
        }
        if (rate.PerSecond is { } perSecond)
        {
            if (perSecond is >= 1 and <= MaxPerSecond) return (perSecond, 1000);
            v.Add($"{field}.per_second", $"must be 1 to {MaxPerSecond}.");
        }
        if (rate.PerMinute is { } perMinute)
        {
            if (perMinute is >= 1 and <= MaxPerMinute) return (perMinute, 60_000);
            v.Add($"{field}.per_minute", $"must be 1 to {MaxPerMinute}.");
        }
        return (null, null);
    }

    public const int MinTimeoutMs = 1000;
    public const int MaxTimeoutMs = 30_000;

    /// <summary>A number of seconds (5, 2.5) or a duration ("5s", "1500ms"), between 1 and 30 s.</summary>
    private static int? CheckTimeout(Validation v, string field, System.Text.Json.JsonElement? timeout)
    {
        if (timeout is not { } t || t.ValueKind == System.Text.Json.JsonValueKind.Null) return null;
        TimeSpan? value = null;
        if (t.ValueKind == System.Text.Json.JsonValueKind.Number && t.TryGetDouble(out var seconds) && seconds is >= 0 and <= 3600)
            value = TimeSpan.FromSeconds(seconds);
        else if (t.ValueKind == System.Text.Json.JsonValueKind.String && TextOf(t) is { } text
                 && Delivery.RetrySchedule.TryParseDuration(text.Trim(), out var parsed))
            value = parsed;
        if (value is not { } d || d.TotalMilliseconds < MinTimeoutMs || d.TotalMilliseconds > MaxTimeoutMs)
        {
            v.Add(field, "must be 1 to 30 seconds: a number of seconds such as 5, or a duration such as \"5s\" or \"1500ms\".");
            return null;
        }
        return (int)d.TotalMilliseconds;
    }

    /// <summary>A JSON string's text, or null when it is not valid UTF-16 (a lone surrogate such as "\ud800").</summary>
    private static string? TextOf(System.Text.Json.JsonElement e)
    {
        try { return e.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    public async Task SaveAsync(DestinationControls controls, CancellationToken ct, DbConnection? connection = null, DbTransaction? tx = null)
    {
        await store.SaveAsync(controls, ct, connection, tx);
        cache.Changed(controls);
        rates.Forget(controls.DestinationId);
    }

    public Task<DestinationControls?> GetAsync(string destinationId, CancellationToken ct) => store.GetAsync(destinationId, ct);

    public Task<Dictionary<string, DestinationControls>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken ct) =>
        store.GetManyAsync(ids, ct);
}
