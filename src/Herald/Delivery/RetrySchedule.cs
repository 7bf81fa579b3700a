using System.Globalization;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Delivery;

/// <summary>
/// When to try again after a failed attempt: the configured steps (after the first try) with ±jitter; a 429/503
/// Retry-After is honoured within [step, 2×step]. Past the last step the delivery has failed for good.
/// </summary>
public sealed class RetrySchedule
{
    private readonly TimeSpan[] _steps;
    private readonly double _jitter;

    public RetrySchedule(IOptions<HeraldOptions> options)
        : this(Parse(options.Value.Delivery.RetrySchedule) ?? throw new InvalidOperationException("Herald:Delivery:RetrySchedule is invalid."),
            options.Value.Delivery.RetryJitter)
    {
    }

    private RetrySchedule(TimeSpan[] steps, double jitter)
    {
        _steps = steps;
        _jitter = jitter;
    }

    /// <summary>A destination's own schedule (its retry_schedule control), with the global jitter.</summary>
    public RetrySchedule WithSteps(TimeSpan[] steps) => new(steps, _jitter);

    public IReadOnlyList<TimeSpan> Steps => _steps;

    /// <summary>Total tries a delivery gets: the first plus one per step.</summary>
    public int MaxAttempts => _steps.Length + 1;

    /// <summary>The wait before the next try after attempt number <paramref name="attempt"/> (1-based), or null when it was the last.</summary>
    public TimeSpan? NextDelay(int attempt, TimeSpan? retryAfter)
    {
        if (attempt < 1 || attempt > _steps.Length) return null;
        var step = _steps[attempt - 1];
        if (retryAfter is { } asked) return TimeSpan.FromTicks(Math.Clamp(asked.Ticks, step.Ticks, step.Ticks * 2));
        var factor = 1 + (_jitter == 0 ? 0 : (Random.Shared.NextDouble() * 2 - 1) * _jitter);
        return TimeSpan.FromTicks((long)(step.Ticks * factor));
    }

    /// <summary>"5s,5m,30m,2h,1d,250ms" → durations; null when any part is not a positive duration.</summary>
    public static TimeSpan[]? Parse(string? schedule)
    {
        if (string.IsNullOrWhiteSpace(schedule)) return null;
        var parts = schedule.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var steps = new TimeSpan[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!TryParseDuration(parts[i], out steps[i])) return null;
        }
        return steps.Length is > 0 and <= 50 ? steps : null;
    }

    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = default;
        var unitStart = text.TakeWhile(c => char.IsAsciiDigit(c) || c == '.').Count();
        if (unitStart == 0 || !double.TryParse(text[..unitStart], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
        var unit = text[unitStart..];
        TimeSpan? parsed = unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(value),
            "s" => TimeSpan.FromSeconds(value),
            "m" => TimeSpan.FromMinutes(value),
            "h" => TimeSpan.FromHours(value),
            "d" => TimeSpan.FromDays(value),
            _ => null,
        };
        if (parsed is null || parsed <= TimeSpan.Zero || parsed > TimeSpan.FromDays(30)) return false;
        duration = parsed.Value;
        return true;
    }
}
