using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Herald.Storage;

/// <summary>
/// The one place that decides whether an exception means "the store cannot take this now" (disk full, database down or
/// frozen, locked beyond <c>Herald:Storage:WriteTimeout</c>, a connection lost or timed out) as opposed to a bug. Such a
/// fault is answered 503 <c>storage_unavailable</c> with Retry-After, never 500.
/// </summary>
public static class StorageFault
{
    /// <summary>Seconds a client is asked to wait before trying again.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// A short reason ("SqliteException SQLITE_FULL", "PostgresException 57P01", "write timeout") when <paramref name="exception"/>
    /// or one of its inner exceptions is a storage fault; null otherwise. The reason names a type and a code, never a
    /// message (which could carry a host or a statement).
    /// </summary>
    public static string? Classify(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is AggregateException aggregate && aggregate.InnerExceptions.Count > 0)
                return aggregate.InnerExceptions.Select(Classify).FirstOrDefault(r => r is not null);
            var reason = e switch
            {
                StorageUnavailableException unavailable => unavailable.Reason,
                SqliteException sqlite => FromSqlite(sqlite),
                PostgresException postgres => FromPostgres(postgres),
                // Npgsql's own errors (not the server's): failing to connect, a broken or timed-out connection, an exhausted pool.
                NpgsqlException npgsql => $"NpgsqlException{(Inner(npgsql) is { } inner ? " " + inner : "")}",
                TimeoutException => "TimeoutException",
                SocketException socket => $"SocketException {socket.SocketErrorCode}",
                _ => null,
            };
            if (reason is not null) return reason;
        }
        return null;
    }

    /// <summary>Whether the fault means pooled connections may be dead (a lost server, a restarted cluster) and should be dropped.</summary>
    public static bool BreaksConnections(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException postgres:
                    return postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal);
                case NpgsqlException:
                    return true;
                case SqliteException sqlite:
                    return (sqlite.SqliteErrorCode & 0xFF) is SqliteCodes.IoErr or SqliteCodes.CantOpen;
            }
        }
        return false;
    }

    private static string? Inner(NpgsqlException e) => e.InnerException switch
    {
        TimeoutException => "timeout",
        SocketException socket => socket.SocketErrorCode.ToString(),
        IOException => "connection lost",
        _ => null,
    };

    private static string? FromSqlite(SqliteException e)
    {
        var name = (e.SqliteErrorCode & 0xFF) switch
        {
            SqliteCodes.Busy => "SQLITE_BUSY",
            SqliteCodes.Locked => "SQLITE_LOCKED",
            SqliteCodes.NoMem => "SQLITE_NOMEM",
            SqliteCodes.ReadOnly => "SQLITE_READONLY",
            SqliteCodes.IoErr => "SQLITE_IOERR",
            SqliteCodes.Full => "SQLITE_FULL",
            SqliteCodes.CantOpen => "SQLITE_CANTOPEN",
            SqliteCodes.Protocol => "SQLITE_PROTOCOL",
            _ => null,
        };
        return name is null ? null : $"SqliteException {name}";
    }

    private static string? FromPostgres(PostgresException e)
    {
        var state = e.SqlState;
        var fault = state.StartsWith("08", StringComparison.Ordinal)      // connection exception
            || state.StartsWith("53", StringComparison.Ordinal)          // insufficient resources: 53100 disk full, 53200 out of memory, 53300 too many connections
            || state.StartsWith("58", StringComparison.Ordinal)          // system error: 58030 I/O error
            || state is "57P01" or "57P02" or "57P03"                    // admin/crash shutdown, cannot connect now (starting up, recovering)
            || state is "57014"                                          // statement cancelled (statement_timeout, or Herald's own timeout)
            || state is "55P03"                                          // lock not available (lock_timeout)
            || state is "25006"                                          // read-only transaction: a standby, or default_transaction_read_only
            || state is "3D000";                                         // the database does not exist (dropped under Herald)
        return fault ? $"PostgresException {state}" : null;
    }

    private static class SqliteCodes
    {
        public const int Busy = 5, Locked = 6, NoMem = 7, ReadOnly = 8, IoErr = 10, Full = 13, CantOpen = 14, Protocol = 15;
    }
}

/// <summary>The store did not take the work within the bound, or refused it for a reason of its own: answered 503, not 500.</summary>
public sealed class StorageUnavailableException(string reason, Exception? inner = null)
    : Exception($"Storage unavailable: {reason}.", inner)
{
    public string Reason { get; } = reason;
}
