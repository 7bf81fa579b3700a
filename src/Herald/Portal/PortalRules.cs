using System.Net;
using System.Text.RegularExpressions;
using Herald.Errors;

namespace Herald.Portal;

/// <summary>
/// What a portal link and a project's portal settings may hold. Every value ends up in a page, a header or a policy, so each is
/// checked strictly: URLs are absolute https (or loopback http when Herald:Delivery:AllowHttp is on) without user info, origins
/// are bare scheme://host[:port], the accent colour is #rrggbb.
/// </summary>
public static partial class PortalRules
{
    public const int MaxUrlLength = 2000;
    public const int MaxProductNameLength = 60;
    public const int MaxOrigins = 10;
    public static readonly TimeSpan LinkLifetime = TimeSpan.FromMinutes(10);
    public const int DefaultSessionSeconds = 3600;
    public const int MinSessionSeconds = 60;
    public const int MaxSessionSeconds = 24 * 3600;

    /// <summary>An https URL, or http to a loopback host when <paramref name="allowHttp"/>; null (with an error) otherwise.</summary>
    public static Uri? CheckUrl(Validation v, string field, string? value, bool allowHttp)
    {
        if (value is null) return null;
        var text = value.Trim();
        if (text.Length == 0) { v.Add(field, "must not be blank."); return null; }
        if (text.Length > MaxUrlLength) { v.Add(field, $"must be at most {MaxUrlLength} characters."); return null; }
        if (text.Any(c => c <= ' ' || c > '~' || c is '"' or '\'' or '<' or '>' or '\\' or '`'))
        {
            v.Add(field, "must be a URL without spaces, quotes or non-ASCII characters (percent-encode them).");
            return null;
        }
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
        {
            v.Add(field, "must be an absolute URL such as https://product.example/settings.");
            return null;
        }
        if (uri.UserInfo.Length > 0) { v.Add(field, "must not contain a user name or password."); return null; }
        if (uri.Scheme == Uri.UriSchemeHttps) return uri;
        if (uri.Scheme == Uri.UriSchemeHttp && allowHttp && IsLoopback(uri)) return uri;
        v.Add(field, allowHttp ? "must use https (or http to a loopback host)." : "must use https.");
        return null;
    }

    /// <summary>Origins allowed to frame the portal: each https://host[:port] (loopback http when allowed), no path, no wildcard.</summary>
    public static IReadOnlyList<string>? CheckOrigins(Validation v, string field, IReadOnlyList<string?>? values, bool allowHttp)
    {
        if (values is null) return null;
        if (values.Count > MaxOrigins) { v.Add(field, $"must list at most {MaxOrigins} origins."); return null; }
        var origins = new List<string>();
        for (var i = 0; i < values.Count; i++)
        {
            var item = $"{field}[{i}]";
            var value = values[i]?.Trim();
            if (string.IsNullOrEmpty(value)) { v.Add(item, "must be an origin such as https://app.example."); continue; }
            var uri = CheckUrl(v, item, value, allowHttp);
            if (uri is null) continue;
            if (!value.TrimEnd('/').Equals($"{uri.Scheme}://{uri.Authority}", StringComparison.OrdinalIgnoreCase) || !Web.SecurityHeaders.IsValidFrameAncestor(value.TrimEnd('/')))
            {
                v.Add(item, "must be an origin only (scheme, host and port, no path, query or wildcard), such as https://app.example.");
                continue;
            }
            var origin = $"{uri.Scheme}://{uri.Authority}".ToLowerInvariant();
            if (!origins.Contains(origin, StringComparer.Ordinal)) origins.Add(origin);
        }
        return origins;
    }

    public static string? CheckColor(Validation v, string field, string? value)
    {
        if (value is null) return null;
        var text = value.Trim();
        if (!Color().IsMatch(text)) { v.Add(field, "must be a colour such as #6d28d9 (# and six hex digits)."); return null; }
        return text.ToLowerInvariant();
    }

    /// <summary>The logo is fetched by the viewer's browser from the host product: it must be on one of the allowed origins.</summary>
    public static string? CheckLogo(Validation v, string field, string? value, IReadOnlyList<string> origins, bool allowHttp)
    {
        var uri = CheckUrl(v, field, value, allowHttp);
        if (uri is null) return null;
        if (!origins.Contains(OriginOf(uri), StringComparer.Ordinal))
        {
            v.Add(field, "must be served from one of portal.allowed_origins (the host product's own origin): the portal loads nothing from anywhere else.");
            return null;
        }
        return uri.AbsoluteUri;
    }

    public static string OriginOf(Uri uri) => $"{uri.Scheme}://{uri.Authority}".ToLowerInvariant();

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex Color();
}
