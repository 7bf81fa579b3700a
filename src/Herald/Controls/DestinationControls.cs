using System.Text.Json.Nodes;
using Herald.Common;

namespace Herald.Controls;

/// <summary>
/// A destination's delivery controls, kept in their own table (destination_controls) beside the destination: a payload filter,
/// a retry schedule and timeout of its own, a rate limit and FIFO ordering. Null means "as usual".
/// </summary>
public sealed record DestinationControls
{
    public required string DestinationId { get; init; }
    public required string ProjectId { get; init; }
    /// <summary>The payload filter as compact JSON (see <see cref="EventFilter"/>).</summary>
    public string? Filter { get; init; }
    /// <summary>Retry steps such as "10s,1m,10m,1h" (instead of Herald:Delivery:RetrySchedule).</summary>
    public string? RetrySchedule { get; init; }
    /// <summary>Per-attempt time-out, 1-30 s (instead of Herald:Delivery:Timeout).</summary>
    public int? TimeoutMs { get; init; }
    /// <summary>At most RateLimit sends per RatePeriodMs (1 s or 1 min).</summary>
    public int? RateLimit { get; init; }
    public long? RatePeriodMs { get; init; }
    /// <summary>"fifo", or null for the usual concurrent delivery.</summary>
    public string? Ordering { get; init; }
    /// <summary>The message template (Liquid; see <see cref="MessageTemplate"/>): a chat kind's text, or a JSON body.</summary>
    public string? Template { get; init; }
    public long UpdatedAt { get; init; }

    public bool IsFifo => Ordering == Orderings.Fifo;

    /// <summary>The controls as the API shows them (only those that are set), or null when none is.</summary>
    public IDictionary<string, object?>? View() => ViewObject()?.ToDictionary(p => p.Key, p => (object?)p.Value);

    public JsonObject? ViewObject()
    {
        var view = new JsonObject();
        if (Filter is not null) view["filter"] = JsonNode.Parse(Filter);
        if (RetrySchedule is not null) view["retry_schedule"] = RetrySchedule;
        if (TimeoutMs is { } timeout) view["timeout"] = timeout / 1000.0;
        if (RateLimit is { } limit)
            view["rate_limit"] = new JsonObject { [RatePeriodMs == 60_000 ? "per_minute" : "per_second"] = limit };
        if (Ordering is not null) view["ordering"] = Ordering;
        if (Template is not null) view["template"] = Template;
        return view.Count == 0 ? null : view;
    }
}

public static class Orderings
{
    public const string Fifo = "fifo";
}

/// <summary>What a request asks to change; an unset field stays as it is, a field set to null goes back to the default.</summary>
public sealed record ControlsChange
{
    public Optional<JsonObject?> Filter { get; init; }
    public Optional<string?> RetrySchedule { get; init; }
    public Optional<System.Text.Json.JsonElement?> Timeout { get; init; }
    public Optional<RateLimitInput?> RateLimit { get; init; }
    public Optional<string?> Ordering { get; init; }
    public Optional<string?> Template { get; init; }
    public ControlsFields Fields { get; init; } = ControlsFields.Default;

    public bool Any => Filter.IsSet || RetrySchedule.IsSet || Timeout.IsSet || RateLimit.IsSet || Ordering.IsSet || Template.IsSet;

    /// <summary>Only a filter, as the seed surfaces offer it (filters.data, or a webhook's filter).</summary>
    public static ControlsChange? OnlyFilter(bool isSet, JsonObject? filter, string field) =>
        isSet ? new ControlsChange { Filter = new(true, filter), Fields = ControlsFields.Default with { Filter = field } } : null;
}

/// <summary>{"per_second": n} or {"per_minute": n}.</summary>
public sealed record RateLimitInput(int? PerSecond, int? PerMinute);

/// <summary>How the caller's surface names each control, so a problem names the field that was sent.</summary>
public sealed record ControlsFields(string Filter, string RetrySchedule, string Timeout, string RateLimit, string Ordering, string Template = "template")
{
    public static readonly ControlsFields Default = new("filter", "retry_schedule", "timeout", "rate_limit", "ordering");
}
