using Herald.Delivery.Transports;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Herald.Destinations.Kinds;

/// <summary>
/// The registered destination kinds, in registration order (the order the catalog lists them), each with its transport.
/// Built once from DI; two kinds claiming the same slug, listing slug, connector type or provider stop Herald at start.
/// </summary>
public sealed class DestinationKindRegistry
{
    /// <summary>
    /// Field names of the requests and answers a kind's settings appear in (top level, or in the connectors API's config),
    /// which a setting may not reuse.
    /// </summary>
    public static readonly string[] CommonFields =
        ["kind", "name", "url", "webhook_url", "method", "headers", "events", "categories", "filters", "secret", "status", "type", "config",
         "listing_slug", "active", "id", "object", "uuid", "payload_style", "settings", "destination_host", "secret_fingerprint",
         "has_custom_headers", "signed", "last_delivery_status", "last_delivery_at", "created_at", "updated_at", "circuit",
         "circuit_reopens_at", "signing_secret", "warnings", "header_names", "provider", "enabled", "configured"];

    private readonly IReadOnlyList<DestinationKind> _all;
    private readonly Dictionary<string, (DestinationKind Kind, IDestinationTransport Transport)> _bySlug = new(StringComparer.Ordinal);

    public DestinationKindRegistry(IEnumerable<DestinationKind> kinds, IServiceProvider services)
    {
        _all = kinds.ToList();
        foreach (var kind in _all)
        {
            if (!_bySlug.TryAdd(kind.Slug, (kind, (IDestinationTransport)services.GetRequiredService(kind.TransportType))))
                throw new InvalidOperationException($"Two destination kinds are registered as '{kind.Slug}'.");
            foreach (var setting in kind.Settings)
                if (CommonFields.Contains(setting.Name))
                    throw new InvalidOperationException($"Destination kind '{kind.Slug}' has a setting named '{setting.Name}', a common field.");
        }
        Unique(k => k.Listing.Slug, "listing slug");
        Unique(k => k.Listing.ConnectorType, "connector type");
        Unique(k => k.Provider, "provider");
    }

    /// <summary>Every kind, in registration order.</summary>
    public IReadOnlyList<DestinationKind> All => _all;

    /// <summary>The kinds seed 002 offers as provider integrations, in registration order.</summary>
    public IEnumerable<DestinationKind> Providers => _all.Where(k => k.Provider is not null);

    public DestinationKind? Find(string? slug) => slug is not null && _bySlug.TryGetValue(slug, out var found) ? found.Kind : null;

    /// <summary>The kind of a stored destination; a row whose kind is no longer registered fails loudly.</summary>
    public DestinationKind Get(string slug) =>
        Find(slug) ?? throw new InvalidOperationException($"No destination kind '{slug}' is registered.");

    public IDestinationTransport TransportOf(DestinationKind kind) => _bySlug[kind.Slug].Transport;

    public DestinationKind? ByListingSlug(string? slug) => _all.FirstOrDefault(k => k.Listing.Slug == slug);

    public DestinationKind? ByConnectorType(string? type) => _all.FirstOrDefault(k => k.Listing.ConnectorType == type);

    public DestinationKind? ByProvider(string? provider) => _all.FirstOrDefault(k => k.Provider is not null && k.Provider == provider);

    /// <summary>Whether any registered kind has a setting of this name.</summary>
    public bool IsSettingOfAnyKind(string name) => _all.Any(k => k.Settings.Any(s => s.Name == name));

    /// <summary>
    /// What request binding would say about kind-specific fields, checked before anything else: a name that is not a setting
    /// of <paramref name="kind"/> (of any kind, when the kind is not known yet) is 400 unknown_field, a value that is not a
    /// string (or null, when <paramref name="allowNull"/>) is 400 invalid_type. Null when the settings may be checked further.
    /// </summary>
    public Microsoft.AspNetCore.Mvc.ProblemDetails? RefuseSettings(DestinationKind? kind, IReadOnlyDictionary<string, System.Text.Json.JsonElement>? given,
        string prefix, bool allowNull)
    {
        if (given is null) return null;
        foreach (var name in given.Keys)
            if (kind is null ? !IsSettingOfAnyKind(name) : !kind.Settings.Any(s => s.Name == name))
                return Errors.Problems.UnknownField(prefix + name);
        if (kind is null) return null;
        foreach (var (name, value) in given)
            if (value.ValueKind is not (System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Null)
                || (value.ValueKind == System.Text.Json.JsonValueKind.Null && !allowNull))
                return Errors.Problems.InvalidType(prefix + name);
        return null;
    }

    private void Unique(Func<DestinationKind, string?> key, string what)
    {
        var duplicate = _all.Select(key).Where(k => k is not null).GroupBy(k => k).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"Two destination kinds claim the {what} '{duplicate.Key}'.");
    }
}

public static class DestinationKindRegistration
{
    /// <summary>
    /// Registers one destination kind and its transport: the one line a new kind adds (see <see cref="AddDestinationKinds"/>).
    /// </summary>
    public static IServiceCollection AddDestinationKind<TKind>(this IServiceCollection services) where TKind : DestinationKind
    {
        var transport = TransportTypeOf(typeof(TKind));
        services.TryAddSingleton(transport);
        services.AddSingleton<TKind>();
        services.AddSingleton<DestinationKind>(provider => provider.GetRequiredService<TKind>());
        services.TryAddSingleton<DestinationKindRegistry>();
        return services;
    }

    /// <summary>Herald's destination kinds, in catalog order. A new kind adds its line here.</summary>
    public static IServiceCollection AddDestinationKinds(this IServiceCollection services) => services
        .AddDestinationKind<Slack.SlackKind>()
        .AddDestinationKind<Discord.DiscordKind>()
        .AddDestinationKind<Teams.TeamsKind>()
        .AddDestinationKind<Zapier.ZapierKind>()
        .AddDestinationKind<Webhook.WebhookKind>()
        .AddDestinationKind<RabbitMq.RabbitMqKind>()
        .AddDestinationKind<Nats.NatsKind>();

    private static Type TransportTypeOf(Type kind)
    {
        for (var type = kind; type is not null; type = type.BaseType)
            if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(DestinationKind<>)) return type.GetGenericArguments()[0];
        throw new InvalidOperationException($"{kind.Name} must derive from DestinationKind<TTransport>.");
    }
}
