using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Herald.Storage;

/// <summary>
/// SQLite's one write connection (the writer gate in <see cref="Db"/> lets one writer at a time use it): it stays open, and
/// keeps each statement it ran compiled, keyed by its SQL text, so the hot writes (publishing, claiming, outcomes) are parsed
/// and planned once instead of on every batch. Microsoft.Data.Sqlite keeps a statement only as long as its command, and
/// Dapper makes a new command per call; the commands this connection hands out borrow a cached one instead.
/// </summary>
internal sealed class CachingSqliteConnection(string connectionString) : SqliteConnection(connectionString)
{
    /// <summary>Distinct statements kept; Herald's writes use a few dozen, so anything past this is run and dropped.</summary>
    public const int MaxCached = 256;

    private readonly Dictionary<string, Entry> _cache = new(StringComparer.Ordinal);

    /// <summary>The pragmas last run on this connection (Herald's, and a test's).</summary>
    public string? AppliedPragmas { get; set; }

    /// <summary>Whether PRAGMA synchronous is NORMAL now (else FULL).</summary>
    public bool SynchronousNormal { get; set; }

    public int Cached => _cache.Count;

    protected override DbCommand CreateDbCommand() => new BorrowingCommand(this);

    /// <summary>The cached command for this SQL, ready for new parameters; a fresh one when it is in use or the cache is full.</summary>
    internal SqliteCommand Rent(string sql, out bool cached)
    {
        if (_cache.TryGetValue(sql, out var entry))
        {
            if (!entry.InUse)
            {
                entry.InUse = true;
                cached = true;
                return entry.Command;
            }
        }
        else if (_cache.Count < MaxCached)
        {
            var command = base.CreateCommand();
            command.CommandText = sql;
            _cache[sql] = new Entry(command) { InUse = true };
            cached = true;
            return command;
        }
        cached = false;
        var fresh = base.CreateCommand();
        fresh.CommandText = sql;
        return fresh;
    }

    internal void Return(string sql, SqliteCommand command, bool cached)
    {
        if (!cached)
        {
            command.Dispose();
            return;
        }
        command.Parameters.Clear();
        command.Transaction = null;
        _cache[sql].InUse = false;
    }

    /// <summary>The transaction the connection has open: a command given none runs in it, as a new SqliteCommand would.</summary>
    internal SqliteTransaction? Current => Transaction;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var entry in _cache.Values) entry.Command.Dispose();
            _cache.Clear();
        }
        base.Dispose(disposing);
    }

    private sealed class Entry(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;
        public bool InUse { get; set; }
    }

    /// <summary>A command that runs its SQL on the connection's cached statement for that text.</summary>
    private sealed class BorrowingCommand(CachingSqliteConnection connection) : DbCommand
    {
        private SqliteCommand? _inner;
        private bool _cached;
        private string _text = "";
        private SqliteTransaction? _transaction;
        private int? _timeout;

        [AllowNull]
        public override string CommandText
        {
            get => _text;
            set
            {
                Release();
                _text = value ?? "";
                _inner = connection.Rent(_text, out _cached);
                _inner.Transaction = _transaction ?? connection.Current;
                if (_timeout is { } timeout) _inner.CommandTimeout = timeout;
            }
        }

        private SqliteCommand Inner => _inner ?? throw new InvalidOperationException("The command has no CommandText.");

        public override int CommandTimeout
        {
            get => _inner?.CommandTimeout ?? _timeout ?? connection.DefaultTimeout;
            set
            {
                _timeout = value;
                if (_inner is not null) _inner.CommandTimeout = value;
            }
        }

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text) throw new NotSupportedException("SQLite runs text commands only.");
            }
        }

        public override bool DesignTimeVisible { get; set; }
        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set
            {
                if (!ReferenceEquals(value, connection)) throw new NotSupportedException("This command belongs to its connection.");
            }
        }

        protected override DbParameterCollection DbParameterCollection => Inner.Parameters;

        protected override DbTransaction? DbTransaction
        {
            get => _transaction;
            set
            {
                _transaction = (SqliteTransaction?)value;
                if (_inner is not null) _inner.Transaction = _transaction ?? connection.Current;
            }
        }

        public override void Cancel() => _inner?.Cancel();
        public override int ExecuteNonQuery() => Inner.ExecuteNonQuery();
        public override object? ExecuteScalar() => Inner.ExecuteScalar();
        public override void Prepare() => Inner.Prepare();
        protected override DbParameter CreateDbParameter() => new SqliteParameter();
        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior) => Inner.ExecuteReader(behavior);

        private void Release()
        {
            if (_inner is null) return;
            connection.Return(_text, _inner, _cached);
            _inner = null;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) Release();
            base.Dispose(disposing);
        }
    }
}
