namespace Herald.Net;

/// <summary>
/// Where a destination kind's URL may point, checked at install by <see cref="UrlValidator"/> (every kind: bounded length,
/// no fragment, host neither internal nor oddly spelled, every resolved address allowed by <see cref="NetworkRules"/>).
/// </summary>
/// <param name="Schemes">Accepted URL schemes, e.g. https; amqp and amqps; nats and tls. With Herald:Delivery:AllowHttp, a
/// kind that takes https takes http too.</param>
/// <param name="DefaultPorts">The port of each scheme when the URL names none (https and http are known already).</param>
/// <param name="AllowsCredentials">Whether the URL may carry user:password@ (brokers); the whole URL is sealed either way.</param>
/// <param name="Pin">Managed platforms: the only hosts and path shape allowed (then the host is not resolved at install).</param>
public sealed record EndpointRules(
    IReadOnlyList<string> Schemes, IReadOnlyDictionary<string, int>? DefaultPorts = null, bool AllowsCredentials = false,
    DestinationPin? Pin = null)
{
    /// <summary>Any public https endpoint (custom webhooks).</summary>
    public static readonly EndpointRules AnyHttps = new(["https"]);

    /// <summary>Only the hosts and paths of one managed platform, over https.</summary>
    public static EndpointRules Pinned(DestinationPin pin) => new(["https"], Pin: pin);

    /// <summary>The port a URL of this scheme connects to, or null when neither the URL nor the rules say.</summary>
    public int? PortOf(Uri uri) =>
        uri.Port is > 0 and <= 65535 ? uri.Port
        : uri.Port == -1 && DefaultPorts is not null && DefaultPorts.TryGetValue(uri.Scheme, out var port) ? port // -1: none written
        : null;

    /// <summary>"must use https." / "must use amqp or amqps."</summary>
    public string SchemeExpectation => Schemes.Count switch
    {
        1 => $"must use {Schemes[0]}.",
        _ => $"must use {string.Join(", ", Schemes.Take(Schemes.Count - 1))} or {Schemes[^1]}.",
    };
}
