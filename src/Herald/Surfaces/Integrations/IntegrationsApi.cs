using Herald.Auth;
using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Destinations.Kinds;
using Herald.Destinations.Kinds.Webhook;
using Herald.Errors;
using Herald.Events;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Surfaces.Integrations;

/// <summary>
/// /projects/{project_id}/integrations: outgoing webhooks, the event catalog and provider integrations of seed 002, views
/// over the destination model. The project in the path must be the key's own (404 otherwise).
/// </summary>
public static class IntegrationsApi
{

    public static void MapIntegrations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/projects/{project_id}/integrations").WithTags("Integrations")
            .RequireAuthorization(AuthExtensions.ProjectKeyPolicy)
            .AddEndpointFilter(async (context, next) =>
                context.HttpContext.GetRouteValue("project_id") as string == Caller.From(context.HttpContext.User).ProjectId
                    ? await next(context)
                    : Problems.NotFound("Project"));

        group.MapPost("/webhooks", Register).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("registerWebhook", "Register an outgoing webhook");
        group.MapGet("/webhooks", ListWebhooks).Doc("listWebhooks", "List outgoing webhooks");
        group.MapGet("/webhooks/{webhook_id}", GetWebhook).Doc("getWebhook", "Get an outgoing webhook");
        group.MapPut("/webhooks/{webhook_id}", UpdateWebhook).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateWebhook", "Change an outgoing webhook");
        group.MapDelete("/webhooks/{webhook_id}", DeleteWebhook).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteWebhook", "Delete an outgoing webhook");
        group.MapGet("/webhooks/{webhook_id}/deliveries", Deliveries).Doc("listWebhookDeliveries", "List an outgoing webhook's deliveries");
        group.MapPost("/webhooks/{webhook_id}/test", TestWebhook).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("testWebhook", "Send a test event to an outgoing webhook");
        group.MapGet("/events", ListEvents).Doc("listSubscribableEvents", "List the events a webhook can subscribe to");
        group.MapGet("/providers", ListProviders).Doc("listProviders", "List provider integrations");
        group.MapPut("/providers/{provider}", ConfigureProvider).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("configureProvider", "Configure a provider integration");
        group.MapPost("/providers/{provider}/toggle", ToggleProvider).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("toggleProvider", "Enable or disable a provider integration", 409);
    }

    private static async Task<Results<Created<WebhookResponse>, ProblemHttpResult>> Register(
        string project_id, RegisterWebhookRequest request, HttpContext http, DestinationService destinations, CancellationToken ct)
    {
        var (destination, problem) = await destinations.CreateAsync(project_id, new DestinationInput
        {
            Kind = WebhookKind.Kind,
            UrlVisibleToOwner = true,
            Url = request.Url,
            Events = request.Events,
            SigningSecret = request.Secret,
            Controls = Herald.Controls.ControlsChange.OnlyFilter(request.Filter is not null, request.Filter, "filter"),
        }, ct);
        if (problem is not null) return problem;
        var generated = request.Secret is null ? destinations.OpenSigningSecret(destination!) : null;
        return TypedResults.Created($"/projects/{project_id}/integrations/webhooks/{destination!.Id}",
            WebhookResponse.From(destination, destinations, Caller.From(http.User), generated, DestinationService.SecretWarnings(request.Secret)));
    }

    private static async Task<Ok<ListResponse<WebhookResponse>>> ListWebhooks(
        string project_id, HttpContext http, DestinationStore store, DestinationService destinations, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(project_id, WebhookKind.Kind, cursor, Limits.Clamp(limit), ct);
        var caller = Caller.From(http.User);
        return TypedResults.Ok(ListResponse<WebhookResponse>.From(page, d => WebhookResponse.From(d, destinations, caller)));
    }

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> GetWebhook(
        string project_id, string webhook_id, HttpContext http, DestinationStore store, DestinationService destinations, CancellationToken ct) =>
        await FindWebhook(project_id, webhook_id, store, ct) is { } d
            ? TypedResults.Ok(WebhookResponse.From(d, destinations, Caller.From(http.User)))
            : Problems.NotFound("Webhook");

    private static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> UpdateWebhook(
        string project_id, string webhook_id, UpdateWebhookRequest request, HttpContext http, DestinationStore store, DestinationService destinations,
        CancellationToken ct)
    {
        var current = await FindWebhook(project_id, webhook_id, store, ct);
        if (current is null) return Problems.NotFound("Webhook");
        var (updated, problem) = await destinations.UpdateAsync(current, new DestinationChange
        {
            Url = request.Url,
            Events = request.Events,
            Status = request.Active is null ? null : request.Active.Value ? DestinationStatuses.Active : DestinationStatuses.Disabled,
            UrlVisibleToOwner = true,
            Controls = Herald.Controls.ControlsChange.OnlyFilter(request.Filter.IsSet, request.Filter.Value, "filter"),
            Fields = ChangeFieldNames.Default with { Status = "active" },
        }, ct);
        return problem ?? (Results<Ok<WebhookResponse>, ProblemHttpResult>)TypedResults.Ok(WebhookResponse.From(updated!, destinations, Caller.From(http.User)));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(
        string project_id, string webhook_id, DestinationStore store, CancellationToken ct) =>
        await FindWebhook(project_id, webhook_id, store, ct) is not null && await store.DeleteAsync(project_id, webhook_id, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("Webhook");

    private static async Task<Results<Ok<ListResponse<WebhookDeliveryResponse>>, ProblemHttpResult>> Deliveries(
        string project_id, string webhook_id, DestinationStore store, DeliveryStore deliveries, string? cursor, int? limit, CancellationToken ct)
    {
        if (await FindWebhook(project_id, webhook_id, store, ct) is null) return Problems.NotFound("Webhook");
        var page = await deliveries.AttemptsForDestinationAsync(webhook_id, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<WebhookDeliveryResponse>.From(page, WebhookDeliveryResponse.From));
    }

    private static async Task<Results<Ok<WebhookTestResponse>, ProblemHttpResult>> TestWebhook(
        string project_id, string webhook_id, DestinationStore store, DestinationTester tester, CancellationToken ct)
    {
        var webhook = await FindWebhook(project_id, webhook_id, store, ct);
        if (webhook is null) return Problems.NotFound("Webhook");
        var result = await tester.TestAsync(webhook, ct);
        return TypedResults.Ok(new WebhookTestResponse(result.Ok, result.Status, "test.ping"));
    }

    private static async Task<Ok<ListResponse<SubscribableEvent>>> ListEvents(EventCatalog catalog, CancellationToken ct)
    {
        var all = await catalog.AllAsync(ct);
        return TypedResults.Ok(new ListResponse<SubscribableEvent>("list", all.Select(t => new SubscribableEvent(t.Name, t.Description)).ToList(), false, null));
    }

    private static async Task<Ok<ListResponse<ProviderResponse>>> ListProviders(
        string project_id, DestinationStore store, DestinationKindRegistry kinds, HttpContext http, CancellationToken ct)
    {
        var configured = await ProviderDestinationsAsync(project_id, store, ct);
        return TypedResults.Ok(new ListResponse<ProviderResponse>("list",
            kinds.Providers.Select(k => ToResponse(k, configured.GetValueOrDefault(k.Provider!)))
                .Concat(await InboundProviders.ListAsync(project_id, http, ct)).ToList(), false, null));
    }

    private static async Task<Results<Ok<ProviderResponse>, Created<ProviderResponse>, ProblemHttpResult>> ConfigureProvider(
        string project_id, string provider, ConfigureProviderRequest request, DestinationStore store, DestinationService destinations,
        DestinationKindRegistry kinds, HttpContext http, CancellationToken ct)
    {
        if (InboundProviders.Find(http, provider) is { } inbound) return await InboundProviders.ConfigureAsync(project_id, inbound, request, http, ct);
        if (kinds.ByProvider(provider) is not { } kind) return UnknownProvider(provider, kinds, http);
        if (request.WebhookSecret is not null)
            return Problems.Validation("webhook_secret", "is for providers that send events to Herald; this one receives them.");
        var current = (await ProviderDestinationsAsync(project_id, store, ct)).GetValueOrDefault(provider);
        var fields = FieldNames.Default with { Url = "webhook_url", Categories = "filters.categories" };
        if (current is null)
        {
            var (created, problem) = await destinations.CreateAsync(project_id, new DestinationInput
            {
                Kind = kind.Slug,
                ProviderSlot = kind.Provider,
                Name = request.Name ?? kind.Listing.Name,
                Url = request.WebhookUrl,
                Events = request.Events,
                Categories = request.Filters?.Categories,
                Controls = Herald.Controls.ControlsChange.OnlyFilter(request.Filters?.Data is not null, request.Filters?.Data, "filters.data"),
                Fields = fields,
            }, ct);
            if (problem is not null) return problem;
            return TypedResults.Created($"/projects/{project_id}/integrations/providers/{provider}", ToResponse(kind, created));
        }
        var (updated, updateProblem) = await destinations.UpdateAsync(current, new DestinationChange
        {
            Name = request.Name,
            Url = request.WebhookUrl,
            Events = request.Events,
            Categories = request.Filters is null ? default : new(true, request.Filters.Categories),
            Controls = Herald.Controls.ControlsChange.OnlyFilter(request.Filters is not null, request.Filters?.Data, "filters.data"),
            Fields = ChangeFieldNames.Default with { Url = "webhook_url", Categories = "filters.categories" },
        }, ct);
        return updateProblem ?? (Results<Ok<ProviderResponse>, Created<ProviderResponse>, ProblemHttpResult>)TypedResults.Ok(ToResponse(kind, updated));
    }

    private static async Task<Results<Ok<ProviderResponse>, ProblemHttpResult>> ToggleProvider(
        string project_id, string provider, ToggleProviderRequest? request, DestinationStore store, DestinationService destinations,
        DestinationKindRegistry kinds, HttpContext http, CancellationToken ct)
    {
        if (InboundProviders.Find(http, provider) is { } inbound) return await InboundProviders.ToggleAsync(project_id, inbound, request, http, ct);
        if (kinds.ByProvider(provider) is not { } kind) return UnknownProvider(provider, kinds, http);
        var current = (await ProviderDestinationsAsync(project_id, store, ct)).GetValueOrDefault(provider);
        if (current is null)
            return Problems.Conflict("provider_not_configured", "The provider is not configured.",
                $"Configure it first: PUT /projects/{project_id}/integrations/providers/{provider}.");
        var enable = request?.Enabled ?? current.Status != DestinationStatuses.Active;
        var (updated, problem) = await destinations.UpdateAsync(current,
            new DestinationChange { Status = enable ? DestinationStatuses.Active : DestinationStatuses.Disabled }, ct);
        return problem ?? (Results<Ok<ProviderResponse>, ProblemHttpResult>)TypedResults.Ok(ToResponse(kind, updated));
    }

    private static ProblemHttpResult UnknownProvider(string provider, DestinationKindRegistry kinds, HttpContext http) =>
        Problems.Result(Problems.Create(404, "not_found", "Provider not found.",
            $"Available providers: {string.Join(", ", kinds.Providers.Select(k => k.Provider!).Concat(InboundProviders.Kinds(http)))}.", "provider"));

    private static ProviderResponse ToResponse(DestinationKind kind, DestinationRecord? d) =>
        new(kind.Provider!, "provider_integration", kind.Listing.Name, kind.Listing.Category, d is not null,
            d?.Status == DestinationStatuses.Active, d?.DestinationHost, d?.UrlFingerprint, d is null ? null : DestinationService.EventsOf(d),
            d?.LastDeliveryStatus, Clock.FromMs(d?.LastDeliveryAt));

    /// <summary>The project's provider integrations by provider slot.</summary>
    private static async Task<Dictionary<string, DestinationRecord>> ProviderDestinationsAsync(string projectId, DestinationStore store, CancellationToken ct) =>
        (await store.ListProvidersAsync(projectId, ct)).ToDictionary(d => d.ProviderSlot!);

    private static async Task<DestinationRecord?> FindWebhook(string projectId, string id, DestinationStore store, CancellationToken ct) =>
        Guid.TryParse(id, out _) && await store.GetAsync(projectId, id, ct) is { Kind: WebhookKind.Kind } d ? d : null;
}
