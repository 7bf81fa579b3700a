namespace Herald.Common;

/// <summary>Times are stored as Unix milliseconds (the same on SQLite and PostgreSQL) and shown as ISO-8601 UTC.</summary>
public static class Clock
{
    public static long NowMs(this TimeProvider time) => time.GetUtcNow().ToUnixTimeMilliseconds();

    public static DateTime? FromMs(long? ms) => ms is null ? null : FromMs(ms.Value);

    /// <summary>A UTC DateTime, which JSON writes with a trailing Z.</summary>
    public static DateTime FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}
