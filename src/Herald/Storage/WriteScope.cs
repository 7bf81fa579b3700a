using System.Data.Common;

namespace Herald.Storage;

/// <summary>
/// A write transaction from <see cref="Db.BeginWriteAsync"/>; disposing it rolls back what was not committed and frees the
/// writer gate. SQLite's kept write connection stays open (<paramref name="ownsConnection"/> false); a commit or rollback that
/// fails calls <paramref name="onFault"/>, so that connection is opened afresh for the next writer.
/// </summary>
public sealed class WriteScope(DbConnection connection, DbTransaction transaction, SemaphoreSlim? gate, bool ownsConnection = true,
    Action? onFault = null) : IAsyncDisposable
{
    public DbConnection Connection { get; } = connection;
    public DbTransaction Transaction { get; } = transaction;

    public async Task CommitAsync(CancellationToken ct = default)
    {
        try
        {
            await Transaction.CommitAsync(ct);
        }
        catch
        {
            onFault?.Invoke();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            try
            {
                await Transaction.DisposeAsync();
            }
            catch
            {
                onFault?.Invoke();
                throw;
            }
            finally
            {
                if (ownsConnection) await Connection.DisposeAsync();
            }
        }
        finally
        {
            gate?.Release();
        }
    }
}
