using System.Data.Common;
using Herald.Common;
using Herald.Options;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Herald.Storage;

/// <summary>Opens connections to the configured store. SQL written against it is portable between SQLite and PostgreSQL.</summary>
/// <summary>Whether a write transaction's commit waits until the store has flushed it to disk.</summary>
public enum Durability { Flushed, Deferred }

public sealed class Db : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqlite;
    private readonly string _sqlitePragmas = "";

    private readonly StoreClock _clock;

    public Db(IOptions<HeraldOptions> options, StoreClock clock)
    {
        _clock = clock;
        var o = options.Value;
        Kind = o.Storage.Provider.Trim().Equals("postgres", StringComparison.OrdinalIgnoreCase) ? StoreKind.Postgres : StoreKind.Sqlite;
        if (Kind == StoreKind.Postgres)
        {
            // Herald's statements are few and repeated: let Npgsql prepare them (unless the connection string says otherwise).
            var postgres = new NpgsqlConnectionStringBuilder(o.Storage.ConnectionString!);
            if (!o.Storage.ConnectionString!.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) postgres.MaxAutoPrepare = 64;
            _postgres = NpgsqlDataSource.Create(postgres.ConnectionString);
            ConnectionString = o.Storage.ConnectionString!;
            return;
        }

        var builder = string.IsNullOrWhiteSpace(o.Storage.ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(o.DataDirectory, "herald.db") }
            : new SqliteConnectionStringBuilder(o.Storage.ConnectionString);
        builder.Pooling = true;
        builder.DefaultTimeout = 30; // also the busy wait while another writer holds the lock
        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (directory is not null) PrivateFile.EnsureDirectory(directory); // database and key files: this user only
        _sqlite = builder.ToString();
        _sqlitePragmas = $"PRAGMA foreign_keys = ON; PRAGMA synchronous = {(o.Storage.SqliteSynchronous.Equals("NORMAL", StringComparison.OrdinalIgnoreCase) ? "NORMAL" : "FULL")}; " +
            $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages};";
        ConnectionString = _sqlite;
    }

    public StoreKind Kind { get; }

    /// <summary>SQLite checkpoints by itself only past this many log pages (16 MiB); <see cref="SqliteCheckpointer"/> does it sooner, off the write path.</summary>
    public const int AutoCheckpointPages = 4096;

    /// <summary>
    /// "column IN list" for a parameter made by <see cref="List"/>: a text array on PostgreSQL, a JSON array read with
    /// json_each on SQLite. The SQL text stays the same whatever the list's length, so the statement is not re-parsed per size.
    /// </summary>
    public string In(string column, string parameter) =>
        Kind == StoreKind.Postgres ? $"{column} = ANY(@{parameter})" : $"{column} IN (SELECT value FROM json_each(@{parameter}))";

    public string NotIn(string column, string parameter) =>
        Kind == StoreKind.Postgres ? $"NOT ({column} = ANY(@{parameter}))" : $"{column} NOT IN (SELECT value FROM json_each(@{parameter}))";

    public object List(IEnumerable<string> values) =>
        Kind == StoreKind.Postgres ? values.ToArray() : System.Text.Json.JsonSerializer.Serialize(values);

    /// <summary>
    /// A JSON array of objects, passed as one parameter, read as a table aliased v: json_each on SQLite, jsonb_to_recordset
    /// on PostgreSQL. Set-based writes use it so a batch of rows costs one statement (one round trip) instead of one per row.
    /// </summary>
    public string JsonRows(string parameter, params (string Name, string PostgresType)[] columns) =>
        Kind == StoreKind.Postgres
            ? $"(SELECT * FROM jsonb_to_recordset(CAST(@{parameter} AS jsonb)) AS x({string.Join(", ", columns.Select(c => $"{c.Name} {c.PostgresType}"))})) AS v"
            : $"(SELECT {string.Join(", ", columns.Select(c => $"json_extract(value, '$.{c.Name}') AS {c.Name}"))} FROM json_each(@{parameter})) AS v";

    /// <summary>
    /// "Now" in Unix milliseconds on the store's clock (<see cref="StoreClock"/>): the database server's on PostgreSQL, the
    /// node's on SQLite. A statement that uses it passes <c>clockNow</c> and <c>clockSkew</c> from <see cref="StoreClock.Args"/>.
    /// </summary>
    public string Now => Kind == StoreKind.Postgres && !_clock.Emulated
        ? "(CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS bigint) + @clockSkew)"
        : "@clockNow";

    public static string ToJsonRows<T>(IEnumerable<T> rows) => System.Text.Json.JsonSerializer.Serialize(rows);

    /// <summary>The full connection string (with credentials): for the migrator only, never for logs.</summary>
    public string ConnectionString { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        if (_postgres is not null)
            return await _postgres.OpenConnectionAsync(ct);

        var connection = new SqliteConnection(_sqlite);
        await connection.OpenAsync(ct);
        using var pragma = connection.CreateCommand();
        pragma.CommandText = _sqlitePragmas;
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }

    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);

    /// <summary>
    /// A connection with a write transaction. On SQLite the hot writers (publishing, claiming, outcomes) take turns through
    /// an in-process gate instead of colliding on the database lock, where the driver would back off and sleep.
    /// <para>
    /// <paramref name="durability"/> Bookkeeping (leases, outcomes) commits without waiting for the disk: a crash of the
    /// process loses nothing (the write is in the OS), and a power cut can only lose the last few, which means a delivery
    /// is sent again, never that an event is lost. Published events always wait for the disk.
    /// </para>
    /// </summary>
    public async Task<WriteScope> BeginWriteAsync(CancellationToken ct = default, Durability durability = Durability.Flushed)
    {
        if (Kind == StoreKind.Sqlite) await _sqliteWriter.WaitAsync(ct);
        try
        {
            var connection = await OpenAsync(ct);
            if (durability == Durability.Deferred && Kind == StoreKind.Sqlite)
                await Execute(connection, null, "PRAGMA synchronous = NORMAL", ct); // OpenAsync sets it back for the next user
            var tx = await connection.BeginTransactionAsync(ct);
            if (durability == Durability.Deferred && Kind == StoreKind.Postgres)
                await Execute(connection, tx, "SET LOCAL synchronous_commit = off", ct);
            return new WriteScope(connection, tx, Kind == StoreKind.Sqlite ? _sqliteWriter : null);
        }
        catch
        {
            if (Kind == StoreKind.Sqlite) _sqliteWriter.Release();
            throw;
        }
    }

    private static async Task Execute(DbConnection connection, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
