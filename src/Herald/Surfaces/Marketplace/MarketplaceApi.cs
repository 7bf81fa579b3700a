using Herald.Auth;
using Herald.Common;
using Herald.Destinations;
using Herald.Destinations.Kinds;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Surfaces.Marketplace;

/// <summary>/v2/marketplace: the catalog and installations (seed 000), a view over the destination model.</summary>
public static class MarketplaceApi
{
    private static readonly FieldNames Fields = FieldNames.Default with { Categories = "filters.categories" };

    public static void MapMarketplace(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v2/marketplace").WithTags("Marketplace").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapGet("/listings", (DestinationKindRegistry kinds) => TypedResults.Ok(new ListResponse<ListingResponse>("list", kinds.All.Select(ListingResponse.From).ToList(), false, null))).Doc("listListings", "List marketplace listings");
        group.MapPost("/installations", Install).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("createInstallation", "Install a listing");
        group.MapGet("/installations", List).Doc("listInstallations", "List installations");
        group.MapGet("/installations/{id}", Get).Doc("getInstallation", "Get an installation");
        group.MapPatch("/installations/{id}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateInstallation", "Rename, enable or disable an installation");
        group.MapDelete("/installations/{id}", Uninstall).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteInstallation", "Uninstall");
        group.MapPost("/installations/{id}/test", Test).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("testInstallation", "Send a test message through an installation");
    }

    private static async Task<Results<Created<InstallationResponse>, ProblemHttpResult>> Install(
        InstallRequest request, HttpContext http, DestinationService destinations, DestinationKindRegistry kinds, CancellationToken ct)
    {
        var kind = kinds.ByListingSlug(request.ListingSlug);
        if (kinds.RefuseSettings(kind, request.Settings, "", allowNull: false) is { } refused) return Problems.Result(refused);
        if (kind is null)
            return Problems.Validation("listing_slug", request.ListingSlug is null
                ? "is required."
                : $"must be one of: {string.Join(", ", kinds.All.Select(k => k.Listing.Slug))}.");
        var (destination, problem) = await destinations.CreateAsync(Caller.From(http.User).ProjectId!, new DestinationInput
        {
            Kind = kind.Slug,
            PayloadStyle = PayloadStyles.Simple,
            Settings = request.Settings,
            Name = request.Name,
            Url = request.Url,
            Events = request.Events,
            Categories = request.Filters?.Categories,
            SigningSecret = request.Secret,
            Controls = Herald.Controls.ControlsChange.OnlyFilter(request.Filters?.Data is not null, request.Filters?.Data, "filters.data"),
            Fields = Fields,
        }, ct);
        if (problem is not null) return problem;
        // A custom webhook is signed: the secret Herald generated is shown here once (a chosen one is not echoed back).
        var generated = kind.Signed && request.Secret is null ? destinations.OpenSigningSecret(destination!) : null;
        var response = InstallationResponse.Installed(destination!, kind, generated);
        return TypedResults.Created($"/v2/marketplace/installations/{response.Id}", response);
    }

    private static async Task<Ok<ListResponse<InstallationResponse>>> List(
        HttpContext http, DestinationStore store, DestinationKindRegistry kinds, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(Caller.From(http.User).ProjectId!, null, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<InstallationResponse>.From(page, d => InstallationResponse.From(d, kinds.Get(d.Kind))));
    }

    private static async Task<Results<Ok<InstallationResponse>, ProblemHttpResult>> Get(
        string id, HttpContext http, DestinationStore store, DestinationKindRegistry kinds, CancellationToken ct) =>
        await Find(id, http, store, ct) is { } d ? TypedResults.Ok(InstallationResponse.From(d, kinds.Get(d.Kind))) : Problems.NotFound("Installation");

    private static async Task<Results<Ok<InstallationResponse>, ProblemHttpResult>> Update(
        string id, UpdateInstallationRequest request, HttpContext http, DestinationStore store, DestinationService destinations,
        DestinationKindRegistry kinds, CancellationToken ct)
    {
        var current = await Find(id, http, store, ct);
        if (current is null) return Problems.NotFound("Installation");
        if (request.Status is null && request.Name is null) return Problems.Validation("status", "is required: \"active\" or \"disabled\".");
        var (updated, problem) = await destinations.UpdateAsync(current, new DestinationChange { Status = request.Status, Name = request.Name }, ct);
        return problem ?? (Results<Ok<InstallationResponse>, ProblemHttpResult>)TypedResults.Ok(InstallationResponse.From(updated!, kinds.Get(updated!.Kind)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Uninstall(string id, HttpContext http, DestinationStore store, CancellationToken ct)
    {
        var destinationId = InstallationIds.ToDestinationId(id);
        return destinationId is not null && await store.DeleteAsync(Caller.From(http.User).ProjectId!, destinationId, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("Installation");
    }

    private static async Task<Results<Ok<TestResponse>, ProblemHttpResult>> Test(
        string id, HttpContext http, DestinationStore store, DestinationTester tester, CancellationToken ct)
    {
        var destination = await Find(id, http, store, ct);
        if (destination is null) return Problems.NotFound("Installation");
        var result = await tester.TestAsync(destination, ct);
        return TypedResults.Ok(new TestResponse(result.Ok, result.Status));
    }

    private static async Task<DestinationRecord?> Find(string id, HttpContext http, DestinationStore store, CancellationToken ct) =>
        InstallationIds.ToDestinationId(id) is { } destinationId ? await store.GetAsync(Caller.From(http.User).ProjectId!, destinationId, ct) : null;
}
