namespace Herald.Storage;

/// <summary>
/// The clock that leases, due times and claims are compared against. SQLite serves one process, so it is that process's
/// <see cref="TimeProvider"/>. PostgreSQL is shared by several nodes, so it is the database server's own clock: nodes whose
/// clocks disagree still agree on who holds a lease and what is due. SQL reads it through <see cref="Db.Now"/>.
/// </summary>
public sealed class StoreClock(TimeProvider node, TimeProvider? database = null)
{
    /// <summary>Tests only: the store's clock is <paramref name="testClock"/> (for example a fake clock), on PostgreSQL too.</summary>
    public static StoreClock Following(TimeProvider testClock) => new(testClock, testClock);

    /// <summary>True when a test stands in for the database server's clock.</summary>
    public bool Emulated => database is not null;

    /// <summary>Parameters for <see cref="Db.Now"/>: "now" where the SQL does not read the database server's clock.</summary>
    public (long ClockNow, long ClockSkew) Args() => ((database ?? node).GetUtcNow().ToUnixTimeMilliseconds(), 0);
}
