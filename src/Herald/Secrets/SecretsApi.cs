using Herald.Auth;
using Herald.Common;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Secrets;

/// <summary>POST /v1/secrets/reseal (operator): after a master-key rotation, re-seals every value under the current key.</summary>
public static class SecretsApi
{
    public static void MapSecrets(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/secrets/reseal", async (Resealer resealer, CancellationToken ct) => TypedResults.Ok(await resealer.ResealAsync(ct)))
            .WithTags("Secrets").RequireAuthorization(AuthExtensions.OperatorPolicy).Doc("resealSecrets", "Re-seal every stored secret under the current master key");
}
