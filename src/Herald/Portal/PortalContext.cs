using System.Security.Claims;
using Herald.Web;

namespace Herald.Portal;

/// <summary>What a console page shows for a portal session: the session (role, way back) and the project's theme.</summary>
public sealed record PortalView(string SessionId, string Role, string? ReturnUrl, PortalSettings Settings)
{
    /// <summary>The host product's name, or the return link's host, or "your product".</summary>
    public string ProductLabel => Settings.ProductName ?? (ReturnUrl is { } url ? new Uri(url).Host : "your product");
}

/// <summary>
/// The portal's per-request state. A console session started from a portal link carries the session's id as a claim; for its
/// requests this reads the project's portal settings once and records, for the security headers and cookies, whether the page may
/// be framed (and by whom), where its logo comes from, and whether cookies must work inside a cross-site frame.
/// </summary>
public static class PortalContext
{
    public const string SessionClaim = "herald:portal_session";
    /// <summary>Set when the project allowed framing at sign-in: the session's cookies are SameSite=None; Secure; Partitioned.</summary>
    public const string FramedClaim = "herald:portal_framed";

    private const string ViewItem = "herald:portal-view";
    private const string FramedItem = "herald:portal-framed";
    internal const string LiveSessionItem = "herald:portal-live-session";

    public static PortalView? View(HttpContext http) => http.Items[ViewItem] as PortalView;

    public static bool IsFramed(HttpContext http) => http.Items[FramedItem] is true;

    public static void MarkFramed(HttpContext http) => http.Items[FramedItem] = true;

    /// <summary>Records the settings for this response: frame-ancestors, the logo's origin in img-src, and framed cookies.</summary>
    public static void Apply(HttpContext http, PortalSettings settings, PortalView? view = null)
    {
        if (settings.AllowedOrigins.Count > 0)
        {
            http.Items[SecurityHeaders.FrameAncestorsItem] = string.Join(' ', settings.AllowedOrigins);
            MarkFramed(http);
        }
        if (settings.LogoUrl is { } logo) http.Items[SecurityHeaders.ImageSourceItem] = PortalRules.OriginOf(new Uri(logo));
        if (view is not null) http.Items[ViewItem] = view;
    }

    /// <summary>After authorization: a console request of a portal session gets its project's portal settings applied.</summary>
    public static IApplicationBuilder UseHeraldPortal(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Path.StartsWithSegments("/console") && http.User.FindFirstValue(SessionClaim) is { } id
            && http.Items[LiveSessionItem] is PortalSessionRecord session && session.Id == id)
        {
            if (http.User.HasClaim(FramedClaim, "1")) MarkFramed(http);
            var settings = await http.RequestServices.GetRequiredService<PortalStore>().GetSettingsAsync(session.ProjectId, http.RequestAborted);
            Apply(http, settings, new PortalView(session.Id, session.Role, session.ReturnUrl, settings));
        }
        await next(http);
    });

    /// <summary>/console/theme.css: the portal's accent colour as a stylesheet (the console's CSP allows no inline style).</summary>
    public static IResult ThemeAsync(HttpContext http)
    {
        // The colour was checked to be # and six hex digits when it was saved: nothing else can reach the stylesheet.
        var color = View(http)?.Settings.AccentColor;
        var css = color is null ? "" : $":root {{ --accent:{color}; --brand:{color}; }}\n";
        return Results.Text(css, "text/css; charset=utf-8");
    }
}

/// <summary>
/// A console cookie (session, anti-forgery, notices) that is SameSite=Strict normally, and SameSite=None; Secure; Partitioned for a
/// portal session whose project allows framing, so it is sent inside the host product's cross-site iframe (and only there: a
/// partitioned cookie is keyed to the top-level site that embedded it).
/// </summary>
public sealed class PortalAwareCookieBuilder : CookieBuilder
{
    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var options = base.Build(context, expiresFrom);
        if (PortalContext.IsFramed(context))
        {
            options.SameSite = SameSiteMode.None;
            options.Secure = true;
            if (!options.Extensions.Contains("Partitioned")) options.Extensions.Add("Partitioned");
        }
        return options;
    }
}
