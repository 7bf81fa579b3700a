using Herald.Auth;
using Herald.Common;
using Herald.Destinations.Kinds;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Destinations;

/// <summary>/v1/destinations: Herald's own view of the destination model (the seed surfaces are further views of it).</summary>
public static class DestinationsApi
{
    public static RouteGroupBuilder MapDestinations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/destinations").WithTags("Destinations").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapPost("/", Create).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("createDestination", "Create a destination");
        group.MapGet("/", List).Doc("listDestinations", "List destinations");
        group.MapGet("/{id}", Get).Doc("getDestination", "Get a destination");
        group.MapPatch("/{id}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateDestination", "Change a destination");
        group.MapDelete("/{id}", Delete).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteDestination", "Delete a destination");
        group.MapPost("/{id}/test", Test).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("testDestination", "Send a test event to a destination");
        app.MapGet("/v1/destination-kinds", (DestinationKindRegistry kinds) => TypedResults.Ok(new ListResponse<DestinationKindResponse>("list",
                kinds.All.Select(DestinationKindResponse.From).ToList(), false, null)))
            .WithTags("Destinations").RequireAuthorization(AuthExtensions.ProjectKeyPolicy)
            .Doc("listDestinationKinds", "List destination kinds, their URL rules and settings");
        return group;
    }

    private static async Task<Results<Created<CreatedDestinationResponse>, ProblemHttpResult>> Create(
        CreateDestinationRequest request, HttpContext http, DestinationService destinations, DestinationKindRegistry kinds,
        Controls.ControlsService controls, CancellationToken ct)
    {
        var kind = kinds.Find(request.Kind?.Trim().ToLowerInvariant());
        if (kinds.RefuseSettings(kind, request.Settings, "", allowNull: false) is { } refused) return Problems.Result(refused);
        if (kind is null)
            return Problems.Validation("kind", $"must be one of: {string.Join(", ", kinds.All.Select(k => k.Slug))}.");

        var (destination, problem) = await destinations.CreateAsync(Caller.From(http.User).ProjectId!, new DestinationInput
        {
            Kind = kind.Slug,
            Settings = request.Settings,
            Name = request.Name,
            Url = request.Url,
            Method = request.Method,
            Headers = request.Headers,
            Events = request.Events,
            Categories = request.Categories,
            SigningSecret = request.Secret,
            Controls = new Controls.ControlsChange
            {
                Filter = new(request.Filter is not null, request.Filter),
                RetrySchedule = new(request.RetrySchedule is not null, request.RetrySchedule),
                Timeout = new(request.Timeout is not null, request.Timeout),
                RateLimit = new(request.RateLimit is not null, request.RateLimit),
                Ordering = new(request.Ordering is not null, request.Ordering),
                Template = new(request.Template is not null, request.Template),
            },
        }, ct);
        if (problem is not null) return problem;
        var generatedSecret = request.Secret is null ? destinations.OpenSigningSecret(destination!) : null;
        return TypedResults.Created($"/v1/destinations/{destination!.Id}",
            new CreatedDestinationResponse(await WithControlsAsync(destination, controls, ct), generatedSecret,
                DestinationService.SecretWarnings(request.Secret) is { Count: > 0 } warnings ? warnings : null));
    }

    private static async Task<Ok<ListResponse<DestinationResponse>>> List(
        HttpContext http, DestinationStore store, Controls.ControlsService controls, string? kind, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(Caller.From(http.User).ProjectId!, kind, cursor, Limits.Clamp(limit), ct);
        var set = await controls.GetManyAsync(page.Data.Select(d => d.Id).ToList(), ct);
        return TypedResults.Ok(ListResponse<DestinationResponse>.From(page,
            d => DestinationResponse.From(d) .WithControls(set.GetValueOrDefault(d.Id)?.View())));
    }

    private static async Task<Results<Ok<DestinationResponse>, ProblemHttpResult>> Get(
        string id, HttpContext http, DestinationStore store, Controls.ControlsService controls, CancellationToken ct)
    {
        var destination = await Find(id, http, store, ct);
        return destination is null ? Problems.NotFound("Destination") : TypedResults.Ok(await WithControlsAsync(destination, controls, ct));
    }

    private static async Task<DestinationResponse> WithControlsAsync(DestinationRecord d, Controls.ControlsService controls, CancellationToken ct) =>
        DestinationResponse.From(d).WithControls((await controls.GetAsync(d.Id, ct))?.View());

    private static async Task<Results<Ok<DestinationResponse>, ProblemHttpResult>> Update(
        string id, UpdateDestinationRequest request, HttpContext http, DestinationStore store, DestinationService destinations,
        Controls.ControlsService controls, CancellationToken ct)
    {
        var current = await Find(id, http, store, ct);
        if (current is null) return Problems.NotFound("Destination");
        var (updated, problem) = await destinations.UpdateAsync(current, new DestinationChange
        {
            Name = request.Name,
            Status = request.Status,
            Url = request.Url,
            Method = request.Method,
            Headers = new(request.Headers.IsSet, request.Headers.Value),
            Events = request.Events,
            Categories = new(request.Categories.IsSet, request.Categories.Value),
            Settings = request.Settings,
            Controls = new Controls.ControlsChange
            {
                Filter = request.Filter, RetrySchedule = request.RetrySchedule, Timeout = request.Timeout, RateLimit = request.RateLimit,
                Ordering = request.Ordering, Template = request.Template,
            },
        }, ct);
        return problem ?? (Results<Ok<DestinationResponse>, ProblemHttpResult>)TypedResults.Ok(await WithControlsAsync(updated!, controls, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, DestinationStore store, CancellationToken ct)
    {
        var projectId = Caller.From(http.User).ProjectId!;
        return Guid.TryParse(id, out _) && await store.DeleteAsync(projectId, id, ct) ? TypedResults.NoContent() : Problems.NotFound("Destination");
    }

    private static async Task<Results<Ok<TestResult>, ProblemHttpResult>> Test(
        string id, HttpContext http, DestinationStore store, DestinationTester tester, CancellationToken ct)
    {
        var destination = await Find(id, http, store, ct);
        return destination is null ? Problems.NotFound("Destination") : TypedResults.Ok(await tester.TestAsync(destination, ct));
    }

    private static async Task<DestinationRecord?> Find(string id, HttpContext http, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(id, out _) ? await store.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
}
