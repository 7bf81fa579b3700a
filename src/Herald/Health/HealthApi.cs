using Dapper;
using Herald.Common;
using Herald.Errors;
using Herald.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Health;

/// <summary>/healthz: the process is alive. /readyz: the database answers. Neither needs a key.</summary>
public static class HealthApi
{
    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new HealthResponse("ok"))).WithTags("Health").AllowAnonymous().Doc("getHealth", "Check that Herald is running");
        app.MapGet("/readyz", Ready).WithTags("Health").AllowAnonymous().Doc("getReadiness", "Check that Herald can reach its database", 503);
    }

    private static async Task<Results<Ok<HealthResponse>, ProblemHttpResult>> Ready(Db db, ILogger<Db> logger, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await using var connection = await db.OpenAsync(timeout.Token);
            await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: timeout.Token));
            return TypedResults.Ok(new HealthResponse("ready"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning("Readiness check failed: the database did not answer ({Error}).", ex.GetType().Name);
            return Problems.Result(Problems.Create(503, "database_unavailable", "The database is not reachable."));
        }
    }
}

public sealed record HealthResponse(string Status);
