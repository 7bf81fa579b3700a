using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Net;

/// <summary>
/// Install-time check of a destination URL against its kind's <see cref="EndpointRules"/>: the kind's schemes (https for
/// HTTP kinds), no userinfo unless the kind takes credentials, no fragment, bounded length, managed kinds pinned to their
/// hosts and path shapes, other hosts neither internal names nor odd numeric spellings, and every resolved address allowed
/// by <see cref="NetworkRules"/>. Messages never repeat the URL.
/// </summary>
public sealed partial class UrlValidator(NetworkRules rules, HostResolver resolver, IOptions<HeraldOptions> options, Observability.HeraldMetrics metrics)
{
    public async Task<UrlCheck> CheckAsync(string? url, EndpointRules endpoint, CancellationToken ct)
    {
        var delivery = options.Value.Delivery;
        if (string.IsNullOrWhiteSpace(url)) return UrlCheck.Fail("is required.");
        if (url.Length > delivery.MaxUrlLength) return UrlCheck.Fail($"must be at most {delivery.MaxUrlLength} characters.");
        if (url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')) return UrlCheck.Fail("must not contain spaces, control characters or backslashes.");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return UrlCheck.Fail("must be an absolute URL.");

        var httpAllowed = delivery.AllowHttp && uri.Scheme == Uri.UriSchemeHttp && endpoint.Schemes.Contains(Uri.UriSchemeHttps);
        if (!endpoint.Schemes.Contains(uri.Scheme) && !httpAllowed) return UrlCheck.Fail(endpoint.SchemeExpectation);
        if (!endpoint.AllowsCredentials && (!string.IsNullOrEmpty(uri.UserInfo) || RawAuthority(url).Contains('@')))
            return UrlCheck.Fail("must not contain a user name or password.");
        if (url.Contains('#')) return UrlCheck.Fail("must not contain a fragment (#...).");

        if (endpoint.PortOf(uri) is not { } port) return UrlCheck.Fail("must use a port from 1 to 65535.");

        var rawHost = RawHost(url);
        if (rawHost is null || rawHost.Length == 0) return UrlCheck.Fail("must have a host.");
        var host = uri.IdnHost.ToLowerInvariant();

        if (endpoint.Pin is { } pin)
        {
            if (!pin.Matches(host, uri)) return UrlCheck.Fail(pin.Expectation);
            return UrlCheck.Ok(uri, host);
        }

        var isIpLiteral = uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6;
        if (isIpLiteral)
        {
            if (uri.HostNameType == UriHostNameType.IPv4 && !IsCanonicalIPv4(rawHost))
                return UrlCheck.Fail("must not use a numeric host spelled in a non-standard form.");
        }
        // Both spellings: the raw one for odd numeric forms, the IDN-normalised one that DNS will see (e.g. "。" becomes ".").
        else if ((HostNames.WhyRefused(rawHost) ?? HostNames.WhyRefused(host)) is { } why)
        {
            metrics.SsrfBlocked("install");
            return UrlCheck.Fail($"host {why}");
        }

        IReadOnlyList<IPEndPoint> endpoints;
        try
        {
            endpoints = await resolver.ResolveAsync(host, port, ct);
        }
        catch (SocketException)
        {
            return UrlCheck.Fail("host could not be resolved.");
        }
        if (endpoints.Any(e => rules.IsBlocked(e.Address)))
        {
            metrics.SsrfBlocked("install");
            return UrlCheck.Fail("points to a private, loopback, link-local or otherwise blocked network address.");
        }
        return UrlCheck.Ok(uri, host);
    }

    private static bool IsCanonicalIPv4(string host) => CanonicalIPv4().IsMatch(host);

    /// <summary>The authority exactly as written (System.Uri rewrites some spellings, e.g. 0x7f.1 to 127.0.0.1).</summary>
    private static string RawAuthority(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal);
        if (start < 0) return "";
        start += 3;
        var end = url.IndexOfAny(['/', '?', '#'], start);
        return end < 0 ? url[start..] : url[start..end];
    }

    private static string? RawHost(string url)
    {
        var authority = RawAuthority(url);
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close < 0 ? null : authority[..(close + 1)];
        }
        var colon = authority.LastIndexOf(':');
        return colon < 0 ? authority : authority[..colon];
    }

    [GeneratedRegex(@"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$")]
    private static partial Regex CanonicalIPv4();
}

public sealed record UrlCheck(Uri? Uri, string? Host, string? Error)
{
    public bool IsValid => Error is null;
    public static UrlCheck Ok(Uri uri, string host) => new(uri, host, null);
    public static UrlCheck Fail(string error) => new(null, null, error);
}
