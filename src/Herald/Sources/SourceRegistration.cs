using Herald.Events;

namespace Herald.Sources;

/// <summary>
/// Wiring of the Sources feature. Each inbound provider is one folder and one line below; the API, the seed's providers routes,
/// the catalog and the console read the registered providers (<see cref="SourceProviders"/>) and keep no list of their own.
/// </summary>
public static class SourceRegistration
{
    public static IServiceCollection AddHeraldSources(this IServiceCollection services)
    {
        services.AddInboundProvider<Razorpay.RazorpayProvider>();
        services.AddInboundProvider<Stripe.StripeProvider>();
        services.AddInboundProvider<GitHub.GitHubProvider>();
        services.AddInboundProvider<Shopify.ShopifyProvider>();
        services.AddInboundProvider<StandardWebhooks.StandardWebhooksProvider>();

        services.AddSingleton<SourceProviders>();
        services.AddSingleton<SourceStore>();
        services.AddSingleton<SourceService>();
        services.AddSingleton<SourceRateLimiter>();
        services.AddSingleton<SourceReceiver>();
        return services;
    }

    public static IServiceCollection AddInboundProvider<T>(this IServiceCollection services) where T : InboundProvider, new() =>
        services.AddSingleton<InboundProvider>(new T());

    /// <summary>Puts every provider's event types in the catalog, and opens its namespace (it may send types not listed).</summary>
    public static async Task InitializeSourcesAsync(this IServiceProvider services, CancellationToken ct = default)
    {
        var catalog = services.GetRequiredService<EventCatalog>();
        foreach (var provider in services.GetRequiredService<SourceProviders>().All)
            await catalog.AddNamespaceAsync(provider.Namespace,
                provider.KnownEvents.Select(e => ($"{provider.Namespace}.{e.Type}", e.Description)), ct);
    }
}

/// <summary>The registered inbound providers, by kind.</summary>
public sealed class SourceProviders(IEnumerable<InboundProvider> providers)
{
    public IReadOnlyList<InboundProvider> All { get; } = Validated(providers.ToList());

    public InboundProvider? Find(string? kind) => kind is null ? null : All.FirstOrDefault(p => p.Kind == kind);

    public IEnumerable<string> Kinds => All.Select(p => p.Kind);

    private static List<InboundProvider> Validated(List<InboundProvider> all)
    {
        foreach (var p in all)
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(p.Namespace, "^[a-z0-9_]+$"))
                throw new InvalidOperationException($"Inbound provider {p.Kind}: namespace '{p.Namespace}' must be lowercase letters, digits and '_'.");
            if (all.Count(o => o.Kind == p.Kind) > 1) throw new InvalidOperationException($"Inbound provider {p.Kind} is registered twice.");
        }
        return all;
    }
}
