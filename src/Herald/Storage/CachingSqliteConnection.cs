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
    internal SqliteCommand Rent(string sql, out Entry? cached)
    {
        if (_cache.TryGetValue(sql, out var entry))
        {
            if (!entry.InUse)
            {
                entry.InUse = true;
                cached = entry;
                return entry.Command;
            }
        }
        else if (_cache.Count < MaxCached)
        {
            var command = base.CreateCommand();
            command.CommandText = sql;
            _cache[sql] = cached = new Entry(command) { InUse = true };
            return command;
        }
        cached = null;
        var fresh = base.CreateCommand();
        fresh.CommandText = sql;
        return fresh;
    }

    /// <summary>
    /// The name a parameter is bound under. Dapper names parameters without their prefix ("id" for "@id"), and Microsoft.Data.Sqlite
    /// then searches the statement for the bare name and for it under each prefix (@, $ and :): four searches of the statement's
    /// parameter list (string compares, and a UTF-8 copy of each name) per value per run, a few percent of Herald's CPU when
    /// publishing. Named as the SQL writes it, it is one search. Only a name the SQL writes with "@" alone is renamed; any other
    /// is left to Microsoft.Data.Sqlite's own search.
    /// </summary>
    /// <remarks>
    /// Renamed when Dapper names it, which is measurably cheaper than renaming at each run. So on this connection Dapper's
    /// lookups by the bare name miss: a DynamicParameters built from an object and then given an Add of one of its names would
    /// add that parameter twice. Herald's writes use plain objects (and a DynamicParameters without such a repeat, in the
    /// pruner); keep it that way here.
    /// </remarks>
    internal static string NameAsWritten(string sql, string name, Dictionary<string, string>? known)
    {
        if (name.Length == 0 || name[0] is '@' or '$' or ':') return name;
        if (known is not null && known.TryGetValue(name, out var named)) return named;
        named = Written(sql, '@', name) && !Written(sql, '$', name) && !Written(sql, ':', name) ? "@" + name : name;
        known?.TryAdd(name, named);
        return named;
    }

    /// <summary>Whether the SQL has <paramref name="prefix"/><paramref name="name"/> as a whole parameter name.</summary>
    private static bool Written(string sql, char prefix, string name)
    {
        var token = string.Concat(prefix.ToString(), name);
        for (var at = sql.IndexOf(token, StringComparison.Ordinal); at >= 0; at = sql.IndexOf(token, at + 1, StringComparison.Ordinal))
        {
            var end = at + token.Length;
            if (end == sql.Length || !(char.IsLetterOrDigit(sql[end]) || sql[end] == '_')) return true;
        }
        return false;
    }

    internal void Return(string sql, SqliteCommand command, Entry? cached)
    {
        if (cached is null)
        {
            command.Dispose();
            return;
        }
        command.Parameters.Clear();
        command.Transaction = null;
        cached.InUse = false;
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

    internal sealed class Entry(SqliteCommand command)
    {
        public SqliteCommand Command { get; } = command;
        public bool InUse { get; set; }

        /// <summary>Parameter names as Dapper gives them, and the names they are bound under (<see cref="NameAsWritten"/>).</summary>
        public Dictionary<string, string> Names { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A parameter named as its command's SQL writes it (<see cref="NameAsWritten"/>).</summary>
    private sealed class AsWrittenParameter(BorrowingCommand command) : SqliteParameter
    {
        [AllowNull]
        public override string ParameterName
        {
            get => base.ParameterName;
            set => base.ParameterName = value is null ? null : command.NameAsWritten(value);
        }
    }

    /// <summary>A command that runs its SQL on the connection's cached statement for that text.</summary>
    private sealed class BorrowingCommand(CachingSqliteConnection connection) : DbCommand
    {
        private SqliteCommand? _inner;
        private Entry? _cached;
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
        protected override DbParameter CreateDbParameter() => new AsWrittenParameter(this);

        internal string NameAsWritten(string name) => CachingSqliteConnection.NameAsWritten(_text, name, _cached?.Names);
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
