using System.Data.Common;

namespace Herald.Storage;

/// <summary>A write transaction from <see cref="Db.BeginWriteAsync"/>; disposing it rolls back what was not committed and frees the writer gate.</summary>
public sealed class WriteScope(DbConnection connection, DbTransaction transaction, SemaphoreSlim? gate) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;

    public Task CommitAsync(CancellationToken ct = default) => Transaction.CommitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
        finally
        {
            gate?.Release();
        }
    }
}
