using Herald.Auth;
using Herald.Common;
using Herald.Controls;
using Herald.Destinations;
using Herald.Destinations.Kinds;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Surfaces.Connectors;

/// <summary>/api/v1/connectors: the connectors API of seed 001, a view over the destination model with the rich formats.</summary>
public static class ConnectorsApi
{
    public static void MapConnectors(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/connectors").WithTags("Connectors").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapGet("/types", (DestinationKindRegistry kinds) => TypedResults.Ok(new ListResponse<ConnectorTypeResponse>("list",
            kinds.All.Select(ConnectorTypeResponse.From).ToList(), false, null))).Doc("listConnectorTypes", "List connector types and their required fields");
        group.MapGet("/", List).Doc("listConnectors", "List connectors");
        group.MapPost("/", Create).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("createConnector", "Create a connector");
        group.MapGet("/{uuid}", Get).Doc("getConnector", "Get a connector");
        group.MapPut("/{uuid}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("replaceConnector", "Change a connector (PUT)");
        group.MapPatch("/{uuid}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateConnector", "Change a connector (PATCH)");
        group.MapDelete("/{uuid}", Delete).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteConnector", "Delete a connector");
        group.MapPost("/{uuid}/test", Test).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("testConnector", "Send a test message through a connector");
    }

    private const string SettingsPrefix = "config.";

    private static FieldNames FieldsFor(DestinationKind kind) => FieldNames.Default with
    {
        Url = SettingsPrefix + kind.Listing.ConnectorUrlField,
        Method = "config.method",
        Headers = "config.headers",
        Secret = "config.secret",
        Categories = "filters.categories",
        SettingsPrefix = SettingsPrefix,
    };

    /// <summary>The URL in config under the type's name for it (config.webhook_url, or config.url for generic and broker types).</summary>
    private static string? UrlOf(ConnectorConfig? config, DestinationKind kind) =>
        kind.Listing.ConnectorUrlField == "url" ? config?.Url : config?.WebhookUrl;

    private static async Task<Results<Created<ConnectorResponse>, ProblemHttpResult>> Create(
        CreateConnectorRequest request, HttpContext http, DestinationService destinations, DestinationKindRegistry kinds,
        ControlsService controls, CancellationToken ct)
    {
        var kind = kinds.ByConnectorType(request.Type);
        if (kinds.RefuseSettings(kind, request.Config?.Settings, SettingsPrefix, allowNull: false) is { } refused) return Problems.Result(refused);
        var v = new Validation();
        if (kind is null) v.Add("type", $"must be one of: {string.Join(", ", kinds.All.Select(k => k.Listing.ConnectorType))}.");
        if (request.Name is null) v.Add("name", "is required.");
        if (request.Config is null) v.Add("config", "is required.");
        else if (kind is not null)
        {
            var urlField = kind.Listing.ConnectorUrlField;
            var takes = kind.Listing.ConnectorRequiredFields.Contains("method") ? "config.url and config.method" : $"config.{urlField}";
            if (urlField == "url" && request.Config.WebhookUrl is not null) v.Add("config.webhook_url", $"{request.Type} connectors take {takes}.");
            if (urlField != "url" && request.Config.Url is not null) v.Add("config.url", $"{request.Type} connectors take {takes}.");
            if (kind.Listing.ConnectorRequiredFields.Contains("method") && request.Config.Method is null)
                v.Add("config.method", "is required: POST, PUT or PATCH.");
        }
        if (!v.IsValid) return v.Problem();

        var config = request.Config!;
        var (destination, problem) = await destinations.CreateAsync(Caller.From(http.User).ProjectId!, new DestinationInput
        {
            Kind = kind!.Slug,
            Name = request.Name,
            Url = UrlOf(config, kind),
            Method = config.Method,
            Headers = config.Headers,
            SigningSecret = config.Secret,
            Settings = config.Settings,
            Events = request.Events,
            Categories = request.Filters?.Categories,
            Controls = ControlsChange.OnlyFilter(request.Filters?.Data is not null, request.Filters?.Data, "filters.data"),
            Fields = FieldsFor(kind),
        }, ct);
        if (problem is not null) return problem;
        var generated = kind.Signed && config.Secret is null ? destinations.OpenSigningSecret(destination!) : null;
        return TypedResults.Created($"/api/v1/connectors/{destination!.Id}",
            ConnectorResponse.From(destination, kind, destinations.OpenHeaders(destination).Keys.ToList(), generated,
                await controls.GetAsync(destination.Id, ct)));
    }

    private static async Task<Ok<ListResponse<ConnectorResponse>>> List(
        HttpContext http, DestinationStore store, DestinationService destinations, DestinationKindRegistry kinds, ControlsService controls,
        string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(Caller.From(http.User).ProjectId!, null, cursor, Limits.Clamp(limit), ct);
        var set = await controls.GetManyAsync(page.Data.Select(d => d.Id).ToList(), ct);
        return TypedResults.Ok(ListResponse<ConnectorResponse>.From(page,
            d => ConnectorResponse.From(d, kinds.Get(d.Kind), destinations.OpenHeaders(d).Keys.ToList(), controls: set.GetValueOrDefault(d.Id))));
    }

    private static async Task<Results<Ok<ConnectorResponse>, ProblemHttpResult>> Get(
        string uuid, HttpContext http, DestinationStore store, DestinationService destinations, DestinationKindRegistry kinds,
        ControlsService controls, CancellationToken ct) =>
        await Find(uuid, http, store, ct) is { } d
            ? TypedResults.Ok(ConnectorResponse.From(d, kinds.Get(d.Kind), destinations.OpenHeaders(d).Keys.ToList(),
                controls: await controls.GetAsync(d.Id, ct)))
            : Problems.NotFound("Connector");

    private static async Task<Results<Ok<ConnectorResponse>, ProblemHttpResult>> Update(
        string uuid, UpdateConnectorRequest request, HttpContext http, DestinationStore store, DestinationService destinations,
        DestinationKindRegistry kinds, ControlsService controls, CancellationToken ct)
    {
        var current = await Find(uuid, http, store, ct);
        if (current is null) return Problems.NotFound("Connector");
        var kind = kinds.Get(current.Kind);
        if (kinds.RefuseSettings(kind, request.Config?.Settings, SettingsPrefix, allowNull: true) is { } refused) return Problems.Result(refused);
        if (request.Type is not null && request.Type != kind.Listing.ConnectorType)
            return Problems.Validation("type", "cannot change; create a new connector of the other type.");
        var fields = FieldsFor(kind);
        var (updated, problem) = await destinations.UpdateAsync(current, new DestinationChange
        {
            Name = request.Name,
            Status = request.Active is null ? null : request.Active.Value ? DestinationStatuses.Active : DestinationStatuses.Disabled,
            Url = UrlOf(request.Config, kind),
            Method = request.Config?.Method,
            Headers = request.Config?.Headers is null ? default : new(true, request.Config.Headers),
            Settings = request.Config?.Settings,
            Events = request.Events,
            Categories = request.Filters.IsSet ? new(true, request.Filters.Value?.Categories) : default,
            // As categories: filters given without data clear the payload filter.
            Controls = ControlsChange.OnlyFilter(request.Filters.IsSet, request.Filters.Value?.Data, "filters.data"),
            Fields = ChangeFieldNames.Default with
            {
                Url = fields.Url, Method = fields.Method, Headers = fields.Headers, Categories = fields.Categories, Status = "active",
                SettingsPrefix = SettingsPrefix,
            },
        }, ct);
        return problem ?? (Results<Ok<ConnectorResponse>, ProblemHttpResult>)TypedResults.Ok(
            ConnectorResponse.From(updated!, kind, destinations.OpenHeaders(updated!).Keys.ToList(), controls: await controls.GetAsync(updated!.Id, ct)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string uuid, HttpContext http, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(uuid, out _) && await store.DeleteAsync(Caller.From(http.User).ProjectId!, uuid, ct) ? TypedResults.NoContent() : Problems.NotFound("Connector");

    private static async Task<Results<Ok<TestResult>, ProblemHttpResult>> Test(
        string uuid, HttpContext http, DestinationStore store, DestinationTester tester, CancellationToken ct) =>
        await Find(uuid, http, store, ct) is { } d ? TypedResults.Ok(await tester.TestAsync(d, ct)) : Problems.NotFound("Connector");

    private static async Task<DestinationRecord?> Find(string uuid, HttpContext http, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(uuid, out _) ? await store.GetAsync(Caller.From(http.User).ProjectId!, uuid, ct) : null;
}
