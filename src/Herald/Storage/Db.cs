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
    private readonly bool _sqliteNormal;

    /// <summary>The pragmas each pooled SQLite connection (its native handle) last ran.</summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, System.Runtime.CompilerServices.StrongBox<string>> _initialized = new();

    private readonly StoreClock _clock;

    public Db(IOptions<HeraldOptions> options, StoreClock clock)
    {
        _clock = clock;
        var o = options.Value;
        WriteTimeout = o.Storage.WriteTimeout;
        Kind = o.Storage.Provider.Trim().Equals("postgres", StringComparison.OrdinalIgnoreCase) ? StoreKind.Postgres : StoreKind.Sqlite;
        if (Kind == StoreKind.Postgres)
        {
            // Herald's statements are few and repeated: let Npgsql prepare them (unless the connection string says otherwise).
            var postgres = new NpgsqlConnectionStringBuilder(o.Storage.ConnectionString!);
            if (!o.Storage.ConnectionString!.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase)) postgres.MaxAutoPrepare = 64;
            // A down or frozen server answers within the write timeout, not Npgsql's 15 s / 30 s defaults (unless the connection string says).
            var seconds = (int)Math.Ceiling(o.Storage.WriteTimeout.TotalSeconds);
            if (!Names(postgres, "Timeout")) postgres.Timeout = seconds;
            if (!Names(postgres, "Command Timeout")) postgres.CommandTimeout = seconds;
            if (!Names(postgres, "Cancellation Timeout")) postgres.CancellationTimeout = (int)Math.Clamp(o.Storage.WriteTimeout.TotalMilliseconds / 4, 1, 2000);
            _postgres = NpgsqlDataSource.Create(postgres.ConnectionString);
            ConnectionString = o.Storage.ConnectionString!;
            return;
        }

        var builder = string.IsNullOrWhiteSpace(o.Storage.ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(o.DataDirectory, "herald.db") }
            : new SqliteConnectionStringBuilder(o.Storage.ConnectionString);
        builder.Pooling = true;
        // Also the busy wait while another process holds the write lock: past it, the write is refused as storage_unavailable.
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(o.Storage.WriteTimeout.TotalSeconds));
        var directory = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
        if (directory is not null) PrivateFile.EnsureDirectory(directory); // database and key files: this user only
        _sqlite = builder.ToString();
        _sqliteNormal = o.Storage.SqliteSynchronous.Equals("NORMAL", StringComparison.OrdinalIgnoreCase);
        _sqlitePragmas = $"PRAGMA foreign_keys = ON; PRAGMA synchronous = {(_sqliteNormal ? "NORMAL" : "FULL")}; " +
            $"PRAGMA wal_autocheckpoint = {AutoCheckpointPages};";
        ConnectionString = _sqlite;
    }

    public StoreKind Kind { get; }

    /// <summary>Herald:Storage:WriteTimeout: the longest a request waits for the store.</summary>
    public TimeSpan WriteTimeout { get; }

    /// <summary>The SQLite database file (null on PostgreSQL): /readyz checks the free space beside it.</summary>
    public string? SqliteFile => _sqlite is null ? null : Path.GetFullPath(new SqliteConnectionStringBuilder(_sqlite).DataSource);

    private static bool Names(NpgsqlConnectionStringBuilder builder, string keyword) =>
        builder.ConnectionString.Split(';').Any(part => part.Split('=')[0].Trim().Equals(keyword, StringComparison.OrdinalIgnoreCase));

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

    /// <summary>
    /// An open connection, or <see cref="StorageUnavailableException"/> when the store does not give one within the write
    /// timeout (a full pool, a server that accepts and never answers).
    /// </summary>
    public async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(WriteTimeout);
        try
        {
            if (_postgres is not null)
                return await _postgres.OpenConnectionAsync(bound.Token);

            var connection = new SqliteConnection(_sqlite);
            try
            {
                await connection.OpenAsync(bound.Token);
                // A pooled connection keeps its pragmas: they run once per underlying connection (and again when they change).
                var pragmas = _sqlitePragmas + SqliteTestPragmas;
                if (connection.Handle is { } handle && (!_initialized.TryGetValue(handle, out var applied) || applied.Value != pragmas))
                {
                    using var pragma = connection.CreateCommand();
                    pragma.CommandText = pragmas;
                    await pragma.ExecuteNonQueryAsync(bound.Token);
                    _initialized.AddOrUpdate(handle, new System.Runtime.CompilerServices.StrongBox<string>(pragmas));
                }
                return connection;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"no connection within {WriteTimeout.TotalSeconds:0.###} s", e);
        }
    }

    /// <summary>Tests only: pragmas run on every connection after Herald's own (e.g. a max_page_count that makes the disk "full").</summary>
    internal string SqliteTestPragmas { get; set; } = "";

    private long _clearedAt;

    /// <summary>Drops idle pooled connections (at most once a second), after a fault that may have broken them.</summary>
    public void ClearPool()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _clearedAt);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _clearedAt, now, last) != last) return;
        if (_postgres is not null) _postgres.Clear();
        else
        {
            _writerStale = true; // reopened by the next writer, which holds the gate
            SqliteConnection.ClearPool(new SqliteConnection(_sqlite));
        }
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
        if (Kind == StoreKind.Sqlite && !await _sqliteWriter.WaitAsync(WriteTimeout, ct))
            throw new StorageUnavailableException($"the database stayed locked for {WriteTimeout.TotalSeconds:0.###} s");
        try
        {
            if (Kind == StoreKind.Sqlite)
            {
                var writer = await WriterAsync(ct);
                var normal = durability == Durability.Deferred || _sqliteNormal;
                if (writer.SynchronousNormal != normal)
                {
                    await Execute(writer, null, normal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", ct);
                    writer.SynchronousNormal = normal;
                }
                return new WriteScope(writer, await writer.BeginTransactionAsync(ct), _sqliteWriter, ownsConnection: false, onFault: () => _writerStale = true);
            }
            var connection = await OpenAsync(ct);
            var tx = await connection.BeginTransactionAsync(ct);
            if (durability == Durability.Deferred && Kind == StoreKind.Postgres)
                await Execute(connection, tx, "SET LOCAL synchronous_commit = off", ct);
            return new WriteScope(connection, tx, null);
        }
        catch
        {
            if (Kind == StoreKind.Sqlite) _sqliteWriter.Release();
            throw;
        }
    }

    private CachingSqliteConnection? _writer;
    private volatile bool _writerStale;

    /// <summary>
    /// SQLite's write connection (the caller holds the writer gate): opened once and kept, with its compiled statements; opened
    /// again after a fault that may have broken it, and its pragmas run again when they change (a test's).
    /// </summary>
    private async Task<CachingSqliteConnection> WriterAsync(CancellationToken ct)
    {
        if (_writer is not null && (_writerStale || _writer.State != System.Data.ConnectionState.Open))
        {
            await _writer.DisposeAsync();
            _writer = null;
        }
        _writerStale = false;
        var pragmas = _sqlitePragmas + SqliteTestPragmas;
        if (_writer is null)
        {
            var writer = new CachingSqliteConnection(_sqlite!);
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
            bound.CancelAfter(WriteTimeout);
            try
            {
                await writer.OpenAsync(bound.Token);
            }
            catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
            {
                await writer.DisposeAsync();
                throw new StorageUnavailableException($"no connection within {WriteTimeout.TotalSeconds:0.###} s", e);
            }
            catch
            {
                await writer.DisposeAsync();
                throw;
            }
            _writer = writer;
        }
        if (_writer.AppliedPragmas != pragmas)
        {
            try
            {
                await Execute(_writer, null, pragmas, ct);
            }
            catch
            {
                _writerStale = true;
                throw;
            }
            _writer.AppliedPragmas = pragmas;
            _writer.SynchronousNormal = _sqliteNormal;
        }
        return _writer;
    }

    /// <summary>
    /// Moves SQLite's write-ahead log into the database file; true when all of it was moved. PASSIVE never waits for
    /// anyone; TRUNCATE (after a fault, to give the log's disk space back) takes the writer gate so Herald's own writers
    /// wait for it instead of colliding with it.
    /// </summary>
    public async Task<bool> CheckpointSqliteAsync(bool truncate, CancellationToken ct)
    {
        if (truncate && !await _sqliteWriter.WaitAsync(WriteTimeout, ct))
            throw new StorageUnavailableException($"the database stayed locked for {WriteTimeout.TotalSeconds:0.###} s");
        try
        {
            await using var connection = await OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = truncate ? "PRAGMA wal_checkpoint(TRUNCATE)" : "PRAGMA wal_checkpoint(PASSIVE)";
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return false;
            var (busy, log, moved) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
            return busy == 0 && log == moved;
        }
        finally
        {
            if (truncate) _sqliteWriter.Release();
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
        if (_writer is not null && await _sqliteWriter.WaitAsync(WriteTimeout))
        {
            await _writer.DisposeAsync();
            _writer = null;
            _sqliteWriter.Release();
        }
    }
}
