using Herald.Common;
using Herald.Errors;
using Herald.Sources;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Surfaces.Integrations;

/// <summary>
/// Seed 002's providers routes for providers that send events (Razorpay, and every other registered inbound provider): configuring
/// one creates (or changes) the project's inbound source of that kind and answers with its inbound_url; toggling enables or
/// disables it. Outbound providers (Slack, ...) stay destinations, handled by <see cref="IntegrationsApi"/>.
/// </summary>
internal static class InboundProviders
{
    private static readonly SourceFieldNames Fields = new(Kind: "provider", Secret: "webhook_secret", Status: "enabled");

    public static InboundProvider? Find(HttpContext http, string provider) => http.RequestServices.GetRequiredService<SourceProviders>().Find(provider);

    public static IEnumerable<string> Kinds(HttpContext http) => http.RequestServices.GetRequiredService<SourceProviders>().Kinds;

    public static async Task<IEnumerable<ProviderResponse>> ListAsync(string projectId, HttpContext http, CancellationToken ct)
    {
        var configured = (await http.RequestServices.GetRequiredService<SourceStore>().ListProviderSourcesAsync(projectId, ct)).ToDictionary(s => s.Kind);
        return http.RequestServices.GetRequiredService<SourceProviders>().All.Select(p => ToResponse(p, configured.GetValueOrDefault(p.Kind), http));
    }

    public static async Task<Results<Ok<ProviderResponse>, Created<ProviderResponse>, ProblemHttpResult>> ConfigureAsync(
        string projectId, InboundProvider provider, ConfigureProviderRequest request, HttpContext http, CancellationToken ct)
    {
        const string outboundOnly = "is for providers Herald delivers to; this provider sends events to Herald (set webhook_secret).";
        if (request.WebhookUrl is not null) return Problems.Validation("webhook_url", outboundOnly);
        if (request.Events is not null) return Problems.Validation("events", outboundOnly);
        if (request.Filters is not null) return Problems.Validation("filters", outboundOnly);
        var (store, service) = (http.RequestServices.GetRequiredService<SourceStore>(), http.RequestServices.GetRequiredService<SourceService>());
        var current = await store.FindProviderSourceAsync(projectId, provider.Kind, ct);
        if (current is null)
        {
            var (created, problem) = await service.CreateAsync(projectId, provider.Kind, request.Name, request.WebhookSecret, SourceVia.Provider, Fields, ct);
            // A configure racing this one won: answer as a change of it.
            if (problem is { StatusCode: StatusCodes.Status409Conflict }) current = await store.FindProviderSourceAsync(projectId, provider.Kind, ct);
            else if (problem is not null) return problem;
            else return TypedResults.Created($"/projects/{projectId}/integrations/providers/{provider.Kind}", ToResponse(provider, created, http));
            if (current is null) return problem;
        }
        var (updated, updateProblem) = await service.UpdateAsync(current, request.Name, request.WebhookSecret, null, Fields, ct);
        return updateProblem ?? (Results<Ok<ProviderResponse>, Created<ProviderResponse>, ProblemHttpResult>)TypedResults.Ok(ToResponse(provider, updated, http));
    }

    public static async Task<Results<Ok<ProviderResponse>, ProblemHttpResult>> ToggleAsync(
        string projectId, InboundProvider provider, ToggleProviderRequest? request, HttpContext http, CancellationToken ct)
    {
        var (store, service) = (http.RequestServices.GetRequiredService<SourceStore>(), http.RequestServices.GetRequiredService<SourceService>());
        var current = await store.FindProviderSourceAsync(projectId, provider.Kind, ct);
        if (current is null)
            return Problems.Conflict("provider_not_configured", "The provider is not configured.",
                $"Configure it first: PUT /projects/{projectId}/integrations/providers/{provider.Kind}.");
        var enable = request?.Enabled ?? current.Status != SourceStatuses.Active;
        var (updated, problem) = await service.UpdateAsync(current, null, null, enable ? SourceStatuses.Active : SourceStatuses.Disabled, Fields, ct);
        return problem ?? (Results<Ok<ProviderResponse>, ProblemHttpResult>)TypedResults.Ok(ToResponse(provider, updated, http));
    }

    /// <summary>The seed's provider shape; last_delivery_* say how the provider's last delivery to Herald went (verified, bad_signature, ...).</summary>
    private static ProviderResponse ToResponse(InboundProvider provider, SourceRecord? s, HttpContext http) => new(
        provider.Kind, "provider_integration", provider.Name, provider.Category, s is not null, s?.Status == SourceStatuses.Active, null,
        s?.SecretFingerprint, null, s?.LastResult, Clock.FromMs(s?.LastResultAt))
    {
        Direction = "inbound",
        SourceId = s?.Id,
        InboundUrl = s is null ? null : http.RequestServices.GetRequiredService<SourceService>().InboundUrl(s, http.Request),
    };
}
