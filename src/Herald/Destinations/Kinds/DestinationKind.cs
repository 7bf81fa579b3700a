using System.Text.Json;
using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Destinations.Kinds;

/// <summary>
/// Everything Herald knows about one kind of destination (slack, webhook, rabbitmq, ...): its slug, how the catalog lists it,
/// its settings and their checks, where its URL may point, how it renders a message, and which transport carries it.
/// The catalog (<c>/v2/marketplace/listings</c>, <c>/api/v1/connectors/types</c>, seed 002 providers), the console and
/// <c>/v1/destinations</c> all read the registered kinds (<see cref="DestinationKindRegistry"/>); nothing else lists kinds.
/// <para>
/// How a new kind plugs in: make a folder <c>Destinations/Kinds/&lt;Kind&gt;/</c> with a sealed class deriving from
/// <see cref="DestinationKind{TTransport}"/> (its transport: <see cref="Delivery.Transports.HttpTransport"/> or your own
/// <see cref="IDestinationTransport"/>, which may live in the same folder), and add one line to
/// <see cref="DestinationKindRegistration.AddDestinationKinds"/>: <c>services.AddDestinationKind&lt;MyKind&gt;()</c>.
/// Kind-specific fields (a broker's <c>exchange</c>, <c>subject</c>) are <see cref="Settings"/>: callers send them beside
/// the common fields (top level on <c>/v1/destinations</c> and the marketplace, inside <c>config</c> on the connectors API),
/// Herald checks them here and stores them in the destination's settings (not secret; the URL, which may hold credentials,
/// is sealed like every URL). Kinds are singletons built by DI, so a kind may take options or services in its constructor.
/// </para>
/// </summary>
public abstract class DestinationKind
{
    /// <summary>The kind's value of <c>kind</c> on <c>/v1/destinations</c> and in the destinations table: lower case, stable.</summary>
    public abstract string Slug { get; }

    /// <summary>How the catalog shows the kind (marketplace listing, connector type, console card).</summary>
    public abstract KindListing Listing { get; }

    /// <summary>Which URLs a destination of this kind may have.</summary>
    public abstract EndpointRules Endpoint { get; }

    /// <summary>Kind-specific settings besides name, url, events and categories; none by default.</summary>
    public virtual IReadOnlyList<KindSetting> Settings => [];

    /// <summary>
    /// Custom HTTP options: a method (POST, PUT, PATCH) and custom headers (custom webhooks). Kinds without them refuse both.
    /// </summary>
    public virtual bool TakesHttpOptions => false;

    /// <summary>Signed with a signing secret (Standard Webhooks headers + X-Herald-Signature): generated at create when not chosen.</summary>
    public virtual bool Signed => false;

    /// <summary>The seed 002 provider this kind can be configured as (<c>/projects/{id}/integrations/providers/{provider}</c>), if any.</summary>
    public virtual string? Provider => null;

    /// <summary>The transport that carries this kind's messages (a DI singleton).</summary>
    public abstract Type TransportType { get; }

    /// <summary>
    /// Renders a message for one destination of this kind. Called once per (message, kind, payload style, settings) however
    /// many destinations share them, so it must depend only on its arguments.
    /// </summary>
    public abstract RenderedPayload Format(Message message, FormatContext context);

    /// <summary>
    /// Checks settings together (each one has passed its own <see cref="KindSetting"/> check already); adds problems to
    /// <paramref name="errors"/> under the setting's name. Nothing by default.
    /// </summary>
    public virtual void CheckSettings(DestinationSettings settings, ICollection<(string Setting, string Error)> errors) { }

    /// <summary>The destination's settings with this kind's defaults applied.</summary>
    public DestinationSettings SettingsOf(DestinationRecord d) => DestinationSettings.Parse(d.Settings, this);
}

/// <summary>A kind whose messages <typeparamref name="TTransport"/> carries.</summary>
public abstract class DestinationKind<TTransport> : DestinationKind where TTransport : class, IDestinationTransport
{
    public sealed override Type TransportType => typeof(TTransport);
}

/// <summary>
/// How the catalog lists a kind. <paramref name="Slug"/> is the marketplace listing slug (e.g. custom-webhook), and
/// <paramref name="ConnectorType"/> the connectors API type (e.g. generic); both default to the kind's slug where they match.
/// </summary>
/// <param name="Name">Display name, also a new destination's default name ("Microsoft Teams").</param>
/// <param name="Category">Catalog category ("Alerting &amp; notifications", "Message brokers").</param>
/// <param name="Destination">Where it delivers, in a few words ("A hooks.slack.com incoming webhook").</param>
/// <param name="Description">One sentence on what it does (shown by the marketplace and the connectors API).</param>
/// <param name="ExampleUrl">A placeholder URL for forms.</param>
/// <param name="PayloadFormat">What it sends, in a few words (the marketplace's payload_format).</param>
/// <param name="ConnectorUrlField">The connectors API's name for the URL inside config: webhook_url or url.</param>
/// <param name="ConnectorRequiredFields">The connectors API's required config fields (a listed "method" is required there).</param>
public sealed record KindListing(
    string Slug, string Name, string Category, string Destination, string Description, string ExampleUrl, string PayloadFormat,
    string ConnectorType, string ConnectorUrlField, IReadOnlyList<string> ConnectorRequiredFields)
{
    public const string AlertingCategory = "Alerting & notifications";
    public const string BrokersCategory = "Message brokers";
}

/// <summary>
/// One kind-specific setting: a string value, checked by <paramref name="Check"/> (an error message, or null when fine) or,
/// with <paramref name="Choices"/>, one of them. Absent means <paramref name="Default"/> (null: none). Empty is refused
/// unless <paramref name="AllowEmpty"/> (e.g. RabbitMQ's default exchange is named "").
/// </summary>
public sealed record KindSetting(
    string Name, string Description, string? Default = null, IReadOnlyList<string>? Choices = null, Func<string, string?>? Check = null,
    int MaxLength = 256, bool AllowEmpty = false)
{
    /// <summary>Null when <paramref name="value"/> is acceptable, otherwise what is wrong with it.</summary>
    public string? Problem(string value)
    {
        if (value.Length == 0) return AllowEmpty ? null : "must not be empty.";
        if (value.Length > MaxLength) return $"must be at most {MaxLength} characters.";
        if (value.Any(char.IsControl)) return "must not contain control characters.";
        if (Choices is not null && !Choices.Contains(value, StringComparer.Ordinal)) return $"must be one of: {string.Join(", ", Choices)}.";
        return Check?.Invoke(value);
    }
}

/// <summary>What a formatter may depend on besides the message: the destination's payload style, settings and project.</summary>
public sealed record FormatContext(string PayloadStyle, DestinationSettings Settings, string ProjectId);

/// <summary>How much a chat platform's message shows (a destination property; kinds with one format ignore it).</summary>
public static class PayloadStyles
{
    /// <summary>The plain text formats seed 000 shows (marketplace installs).</summary>
    public const string Simple = "simple";
    /// <summary>Block Kit, embeds: every other route.</summary>
    public const string Rich = "rich";
}

/// <summary>A destination's kind-specific settings as stored (a JSON object of strings), with the kind's defaults behind them.</summary>
public sealed class DestinationSettings
{
    private readonly IReadOnlyDictionary<string, string> _values;
    private readonly DestinationKind? _kind;

    private DestinationSettings(IReadOnlyDictionary<string, string> values, DestinationKind? kind) => (_values, _kind) = (values, kind);

    public static readonly DestinationSettings Empty = new(new Dictionary<string, string>(), null);

    /// <summary>The values that were set (no defaults).</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The setting's value, or its default.</summary>
    public string? this[string name] =>
        _values.TryGetValue(name, out var value) ? value : _kind?.Settings.FirstOrDefault(s => s.Name == name)?.Default;

    public static DestinationSettings Parse(string? json, DestinationKind? kind) =>
        new(json is null ? new Dictionary<string, string>() : JsonSerializer.Deserialize<Dictionary<string, string>>(json)!, kind);

    public static DestinationSettings Of(IReadOnlyDictionary<string, string> values, DestinationKind? kind) => new(values, kind);

    /// <summary>The stored form: null when nothing is set.</summary>
    public string? ToJson() => _values.Count == 0 ? null : JsonSerializer.Serialize(_values.OrderBy(v => v.Key, StringComparer.Ordinal).ToDictionary());
}
