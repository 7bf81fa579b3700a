using System.Data.Common;
using Dapper;
using Herald.Common;
using Herald.Errors;
using Herald.Options;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Health;

/// <summary>
/// /healthz: the process is alive. /readyz: the store can take writes — the database answers (on SQLite, a write lock
/// can be taken; on PostgreSQL, the session is not read-only) and, on SQLite, the data directory has at least
/// Herald:Storage:MinFreeBytes free. /readyz answers within 2 s whatever the database does. Neither needs a key.
/// </summary>
public static class HealthApi
{
    /// <summary>
    /// How long the probe is given (it is cancelled then), and when the answer goes out whatever the probe does (a driver that
    /// ignores cancellation is not waited for). Both stay well inside the promised 2 s. On SQLite the probe queues for the
    /// writer gate behind the node's own writes, so it gets 1.5 s: a busy node is not called unready. On PostgreSQL it gets
    /// 0.8 s and the answer goes by 1 s: with the server frozen and publishing still running, answers came 200–450 ms after
    /// their deadline in the drill, so a later deadline read over 2 s.
    /// </summary>
    private static (TimeSpan Probe, TimeSpan Deadline) Limits(StoreKind kind) => kind == StoreKind.Sqlite
        ? (TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(1800))
        : (TimeSpan.FromMilliseconds(800), TimeSpan.FromMilliseconds(1000));

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Health").AllowAnonymous().Doc("getHealth", "Check that Herald is running");
        app.MapGet("/readyz", Ready).WithTags("Health").AllowAnonymous().Doc("getReadiness", "Check that Herald can reach its database", 503);
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Ready(Db db, IOptions<HeraldOptions> options, ILogger<Db> logger,
        HttpContext http, CancellationToken ct)
    {
        var minFree = options.Value.Storage.MinFreeBytes;
        if (db.SqliteFile is { } file && FreeBytes(file) is { } free && free < minFree)
        {
            logger.LogWarning("Readiness check failed: {Free} bytes free beside the database, below Herald:Storage:MinFreeBytes ({Min}).", free, minFree);
            return Unready(http, ProblemCodes.StorageUnavailable, "The data directory is almost full.",
                $"{free} bytes free in the data directory, below Herald__Storage__MinFreeBytes ({minFree}).");
        }

        var (probeTime, deadline) = Limits(db.Kind);
        var within = $"within {probeTime.TotalSeconds:0.#} s";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(probeTime);
        var probe = ProbeAsync(db, timeout.Token);
        if (await Task.WhenAny(probe, Task.Delay(deadline, ct)) != probe)
        {
            ct.ThrowIfCancellationRequested();
            _ = probe.ContinueWith(t => t.Exception, TaskContinuationOptions.OnlyOnFaulted); // observed, finishes on its own
            logger.LogWarning("Readiness check failed: the database did not answer {Within}.", within);
            return Unready(http, ProblemCodes.DatabaseUnavailable, "The database is not answering.", $"The database did not answer {within}.");
        }
        try
        {
            var problem = await probe;
            if (problem is null) return TypedResults.Ok(new HealthResponse("ready"));
            logger.LogWarning("Readiness check failed: {Reason}", problem);
            return Unready(http, ProblemCodes.StorageUnavailable, "The database cannot take writes.", problem);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var frozen = ex is OperationCanceledException || timeout.IsCancellationRequested;
            var reason = StorageFault.Classify(ex) ?? ex.GetType().Name;
            logger.LogWarning("Readiness check failed: the database {What} ({Error}).", frozen ? $"did not answer {within}" : "is not reachable", reason);
            return Unready(http, ProblemCodes.DatabaseUnavailable, frozen ? "The database is not answering." : "The database is not reachable.",
                frozen ? $"The database did not answer {within}." : $"The database is not reachable ({reason}).");
        }
    }

    /// <summary>Null when the store can take a write; otherwise why not.</summary>
    private static async Task<string?> ProbeAsync(Db db, CancellationToken ct)
    {
        await Task.Yield(); // a driver that blocks the thread blocks this task, not the request
        if (db.Kind == StoreKind.Sqlite)
        {
            // Takes the write lock (through Herald's writer gate) and lets it go: a database locked by another process
            // beyond the write timeout, or one that became read-only, shows here. No page is written.
            await using var scope = await db.BeginWriteAsync(ct);
            return null;
        }
        await using DbConnection connection = await db.OpenAsync(ct);
        var readOnly = await connection.ExecuteScalarAsync<string>(new CommandDefinition("SELECT current_setting('transaction_read_only')", cancellationToken: ct));
        return readOnly == "on" ? "The database is read-only (a standby, or default_transaction_read_only is on)." : null;
    }

    /// <summary>Free bytes on the file system that holds <paramref name="file"/> (its directory); null when it cannot be read.</summary>
    internal static long? FreeBytes(string file)
    {
        try
        {
            var directory = Path.GetDirectoryName(file);
            return string.IsNullOrEmpty(directory) ? null : new DriveInfo(directory).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static ProblemHttpResult Unready(HttpContext http, string code, string title, string detail)
    {
        http.Response.Headers.RetryAfter = StorageFault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Result(Problems.Create(503, code, title, detail));
    }
}

public sealed record HealthResponse(string Status);
