using Herald.Auth;
using Herald.Common;
using Herald.Controls;
using Herald.Destinations;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Surfaces.Connectors;

/// <summary>/api/v1/connectors: the connectors API of seed 001, a view over the destination model with the rich formats.</summary>
public static class ConnectorsApi
{
    private const string Surface = "connectors";

    public static void MapConnectors(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/connectors").WithTags("Connectors").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapGet("/types", () => TypedResults.Ok(new ListResponse<ConnectorTypeResponse>("list",
            ConnectorTypes.All.Select(t => new ConnectorTypeResponse(t.Type, t.Description, t.RequiredFields)).ToList(), false, null))).Doc("listConnectorTypes", "List connector types and their required fields");
        group.MapGet("/", List).Doc("listConnectors", "List connectors");
        group.MapPost("/", Create).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("createConnector", "Create a connector");
        group.MapGet("/{uuid}", Get).Doc("getConnector", "Get a connector");
        group.MapPut("/{uuid}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("replaceConnector", "Change a connector (PUT)");
        group.MapPatch("/{uuid}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateConnector", "Change a connector (PATCH)");
        group.MapDelete("/{uuid}", Delete).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteConnector", "Delete a connector");
        group.MapPost("/{uuid}/test", Test).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("testConnector", "Send a test message through a connector");
    }

    private static FieldNames FieldsFor(string kind) => FieldNames.Default with
    {
        Url = kind == Destinations.DestinationKinds.Webhook ? "config.url" : "config.webhook_url",
        Method = "config.method",
        Headers = "config.headers",
        Secret = "config.secret",
        Categories = "filters.categories",
    };

    private static async Task<Results<Created<ConnectorResponse>, ProblemHttpResult>> Create(
        CreateConnectorRequest request, HttpContext http, DestinationService destinations, ControlsService controls, CancellationToken ct)
    {
        var v = new Validation();
        var kind = ConnectorTypes.KindOf(request.Type);
        if (kind is null) v.Add("type", $"must be one of: {string.Join(", ", ConnectorTypes.All.Select(t => t.Type))}.");
        if (request.Name is null) v.Add("name", "is required.");
        if (request.Config is null) v.Add("config", "is required.");
        else if (kind == DestinationKinds.Webhook)
        {
            if (request.Config.WebhookUrl is not null) v.Add("config.webhook_url", "generic connectors take config.url and config.method.");
            if (request.Config.Method is null) v.Add("config.method", "is required: POST, PUT or PATCH.");
        }
        else if (kind is not null && request.Config.Url is not null)
            v.Add("config.url", $"{request.Type} connectors take config.webhook_url.");
        if (!v.IsValid) return v.Problem();

        var config = request.Config!;
        var (destination, problem) = await destinations.CreateAsync(Caller.From(http.User).ProjectId!, new DestinationInput
        {
            Kind = kind!,
            Surface = Surface,
            Name = request.Name,
            Url = kind == DestinationKinds.Webhook ? config.Url : config.WebhookUrl,
            Method = config.Method,
            Headers = config.Headers,
            SigningSecret = config.Secret,
            Events = request.Events,
            Categories = request.Filters?.Categories,
            Controls = ControlsChange.OnlyFilter(request.Filters?.Data is not null, request.Filters?.Data, "filters.data"),
            Fields = FieldsFor(kind!),
        }, ct);
        if (problem is not null) return problem;
        var generated = kind == DestinationKinds.Webhook && config.Secret is null ? destinations.OpenSigningSecret(destination!) : null;
        return TypedResults.Created($"/api/v1/connectors/{destination!.Id}",
            ConnectorResponse.From(destination, destinations.OpenHeaders(destination).Keys.ToList(), generated, await controls.GetAsync(destination.Id, ct)));
    }

    private static async Task<Ok<ListResponse<ConnectorResponse>>> List(
        HttpContext http, DestinationStore store, DestinationService destinations, ControlsService controls, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(Caller.From(http.User).ProjectId!, null, cursor, Limits.Clamp(limit), ct);
        var set = await controls.GetManyAsync(page.Data.Select(d => d.Id).ToList(), ct);
        return TypedResults.Ok(ListResponse<ConnectorResponse>.From(page,
            d => ConnectorResponse.From(d, destinations.OpenHeaders(d).Keys.ToList(), controls: set.GetValueOrDefault(d.Id))));
    }

    private static async Task<Results<Ok<ConnectorResponse>, ProblemHttpResult>> Get(
        string uuid, HttpContext http, DestinationStore store, DestinationService destinations, ControlsService controls, CancellationToken ct) =>
        await Find(uuid, http, store, ct) is { } d
            ? TypedResults.Ok(ConnectorResponse.From(d, destinations.OpenHeaders(d).Keys.ToList(), controls: await controls.GetAsync(d.Id, ct)))
            : Problems.NotFound("Connector");

    private static async Task<Results<Ok<ConnectorResponse>, ProblemHttpResult>> Update(
        string uuid, UpdateConnectorRequest request, HttpContext http, DestinationStore store, DestinationService destinations,
        ControlsService controls, CancellationToken ct)
    {
        var current = await Find(uuid, http, store, ct);
        if (current is null) return Problems.NotFound("Connector");
        if (request.Type is not null && ConnectorTypes.KindOf(request.Type) != current.Kind)
            return Problems.Validation("type", "cannot change; create a new connector of the other type.");
        var generic = current.Kind == DestinationKinds.Webhook;
        var fields = FieldsFor(current.Kind);
        var (updated, problem) = await destinations.UpdateAsync(current, new DestinationChange
        {
            Name = request.Name,
            Status = request.Active is null ? null : request.Active.Value ? DestinationStatuses.Active : DestinationStatuses.Disabled,
            Url = generic ? request.Config?.Url : request.Config?.WebhookUrl,
            Method = request.Config?.Method,
            Headers = request.Config?.Headers is null ? default : new(true, request.Config.Headers),
            Events = request.Events,
            Categories = request.Filters.IsSet ? new(true, request.Filters.Value?.Categories) : default,
            // As categories: filters given without data clear the payload filter.
            Controls = ControlsChange.OnlyFilter(request.Filters.IsSet, request.Filters.Value?.Data, "filters.data"),
            Fields = ChangeFieldNames.Default with
            {
                Url = fields.Url, Method = fields.Method, Headers = fields.Headers, Categories = fields.Categories, Status = "active",
            },
        }, ct);
        return problem ?? (Results<Ok<ConnectorResponse>, ProblemHttpResult>)TypedResults.Ok(
            ConnectorResponse.From(updated!, destinations.OpenHeaders(updated!).Keys.ToList(), controls: await controls.GetAsync(updated!.Id, ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string uuid, HttpContext http, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(uuid, out _) && await store.DeleteAsync(Caller.From(http.User).ProjectId!, uuid, ct) ? TypedResults.NoContent() : Problems.NotFound("Connector");

    private static async Task<Results<Ok<TestResult>, ProblemHttpResult>> Test(
        string uuid, HttpContext http, DestinationStore store, DestinationTester tester, CancellationToken ct) =>
        await Find(uuid, http, store, ct) is { } d ? TypedResults.Ok(await tester.TestAsync(d, ct)) : Problems.NotFound("Connector");

    private static async Task<DestinationRecord?> Find(string uuid, HttpContext http, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(uuid, out _) ? await store.GetAsync(Caller.From(http.User).ProjectId!, uuid, ct) : null;
}
