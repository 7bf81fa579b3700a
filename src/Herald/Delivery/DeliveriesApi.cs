using Herald.Auth;
using Herald.Common;
using Herald.Destinations;
using Herald.Errors;
using Herald.Events;
using Herald.Options;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Delivery;

/// <summary>The delivery log and its controls: per destination and per delivery, manual retry, bulk recover, secret rotation.</summary>
public static class DeliveriesApi
{
    public static void MapDeliveries(this IEndpointRouteBuilder app)
    {
        var deliveries = app.MapGroup("/v1/deliveries").WithTags("Deliveries").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        deliveries.MapGet("/{id}", Get).Doc("getDelivery", "Get a delivery with its attempts");
        deliveries.MapPost("/{id}/retry", Retry).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("retryDelivery", "Retry a pending or failed delivery now", 409);

        var destinations = app.MapGroup("/v1/destinations/{destinationId}").WithTags("Destinations").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        destinations.MapGet("/deliveries", ForDestination).Doc("listDestinationDeliveries", "List a destination's deliveries");
        destinations.MapGet("/attempts", AttemptsForDestination).Doc("listDestinationAttempts", "List a destination's delivery attempts");
        destinations.MapPost("/recover", Recover).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("recoverDestination", "Re-queue a destination's failed deliveries since a time");
        destinations.MapPost("/rotate-secret", RotateSecret).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("rotateDestinationSecret", "Rotate a webhook destination's signing secret");
    }

    private static async Task<Results<Ok<DeliveryResponse>, ProblemHttpResult>> Get(string id, HttpContext http, DeliveryStore store, CancellationToken ct)
    {
        var delivery = Ids.IsWellFormed(id, "dlv") ? await store.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
        if (delivery is null) return Problems.NotFound("Delivery");
        var attempts = await store.AttemptsAsync(id, ct);
        return TypedResults.Ok(DeliveryResponse.From(delivery, attempts.Select(AttemptResponse.From).ToList()));
    }

    private static async Task<Results<Accepted<DeliveryResponse>, ProblemHttpResult>> Retry(
        string id, HttpContext http, DeliveryStore store, DeliverySignal signal, CancellationToken ct)
    {
        var projectId = Caller.From(http.User).ProjectId!;
        var delivery = Ids.IsWellFormed(id, "dlv") ? await store.GetAsync(projectId, id, ct) : null;
        if (delivery is null) return Problems.NotFound("Delivery");
        if (delivery.Status == DeliveryStatuses.Delivered)
            return Problems.Conflict("already_delivered", "The delivery already succeeded.", "Only pending or failed deliveries can be retried.");
        await store.RetryAsync(projectId, id, ct);
        signal.Notify();
        return TypedResults.Accepted($"/v1/deliveries/{id}", DeliveryResponse.From((await store.GetAsync(projectId, id, ct))!));
    }

    private static async Task<Results<Ok<ListResponse<DeliveryResponse>>, ProblemHttpResult>> ForDestination(
        string destinationId, HttpContext http, DestinationStore destinations, DeliveryStore store, string? status, string? cursor, int? limit,
        CancellationToken ct)
    {
        if (await FindDestination(destinationId, http, destinations, ct) is null) return Problems.NotFound("Destination");
        if (status is not null && status is not (DeliveryStatuses.Pending or DeliveryStatuses.Delivered or DeliveryStatuses.Failed))
            return Problems.Result(Problems.Create(400, "invalid_parameter", "A parameter has an invalid value.",
                "'status' must be pending, delivered or failed.", "status"));
        var page = await store.ForDestinationAsync(destinationId, status, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<DeliveryResponse>.From(page, d => DeliveryResponse.From(d)));
    }

    private static async Task<Results<Ok<ListResponse<AttemptResponse>>, ProblemHttpResult>> AttemptsForDestination(
        string destinationId, HttpContext http, DestinationStore destinations, DeliveryStore store, string? cursor, int? limit, CancellationToken ct)
    {
        if (await FindDestination(destinationId, http, destinations, ct) is null) return Problems.NotFound("Destination");
        var page = await store.AttemptsForDestinationAsync(destinationId, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<AttemptResponse>.From(page, AttemptResponse.From));
    }

    private static async Task<Results<Ok<RecoverResponse>, ProblemHttpResult>> Recover(
        string destinationId, RecoverRequest request, HttpContext http, DestinationStore destinations, DeliveryStore store,
        DeliverySignal signal, CancellationToken ct)
    {
        if (await FindDestination(destinationId, http, destinations, ct) is null) return Problems.NotFound("Destination");
        if (request.Since is null) return Problems.Validation("since", "is required: re-queue failed deliveries created since this time.");
        var count = await store.RecoverAsync(destinationId, request.Since.Value.ToUnixTimeMilliseconds(), ct);
        signal.Notify();
        return TypedResults.Ok(new RecoverResponse("recover_result", count));
    }

    private static async Task<Results<Ok<RotatedSecretResponse>, ProblemHttpResult>> RotateSecret(
        string destinationId, RotateSecretRequest? request, HttpContext http, DestinationStore destinations, DestinationService service,
        IOptions<HeraldOptions> options, Destinations.Kinds.DestinationKindRegistry kinds, CancellationToken ct)
    {
        var destination = await FindDestination(destinationId, http, destinations, ct);
        if (destination is null) return Problems.NotFound("Destination");
        if (!kinds.Get(destination.Kind).Signed)
            return Problems.Validation("secret", "only custom webhooks are signed.");
        var (secret, until, problem) = await service.RotateSecretAsync(destination, request?.Secret, options.Value.Delivery.SecretRotationOverlap, ct);
        return problem ?? (Results<Ok<RotatedSecretResponse>, ProblemHttpResult>)TypedResults.Ok(
            new RotatedSecretResponse("signing_secret", secret!, until?.UtcDateTime,
                DestinationService.SecretWarnings(request?.Secret) is { Count: > 0 } warnings ? warnings : null));
    }

    private static async Task<DestinationRecord?> FindDestination(string id, HttpContext http, DestinationStore destinations, CancellationToken ct) =>
        Guid.TryParse(id, out _) ? await destinations.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
}

public sealed record RecoverRequest(DateTimeOffset? Since);
public sealed record RecoverResponse(string Object, int Requeued);
public sealed record RotateSecretRequest(string? Secret);
public sealed record RotatedSecretResponse(string Object, string Secret, DateTime? PreviousSecretValidUntil,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    IReadOnlyList<string>? Warnings = null);
