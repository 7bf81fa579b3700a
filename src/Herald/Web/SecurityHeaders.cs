using Herald.Options;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Herald.Web;

/// <summary>
/// Headers on every response. The console gets a Content-Security-Policy that allows only Herald's own scripts and styles
/// (no inline script, no inline event handlers); /docs gets what its self-hosted reference page needs; the API gets a policy that
/// allows nothing. Nothing may frame Herald unless Herald:Console:FrameAncestors names who may, or (for its portal pages only) a
/// project's portal settings do (see Portal/PortalContext, which also adds the portal logo's origin to img-src). API and console responses carry
/// Cache-Control: no-store, because some reveal a secret once and all of them show a project's data.
/// </summary>
public static class SecurityHeaders
{
    private const string ConsolePolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'";

    // Scalar's page starts itself with an inline module script; it loads only assets Herald serves.
    private const string DocsPolicy =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; " +
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'";

    private const string ApiPolicy = "default-src 'none'";

    /// <summary>HttpContext.Items key: the origins (space-separated) a portal page may be framed by, replacing the configured ones.</summary>
    public const string FrameAncestorsItem = "herald:frame-ancestors";
    /// <summary>HttpContext.Items key: one more origin the console page may load images from (a portal's logo on the host product).</summary>
    public const string ImageSourceItem = "herald:img-src";

    /// <summary>'self' or a scheme://host[:port] origin (with an optional *. wildcard host), nothing a policy could be broken with.</summary>
    public static bool IsValidFrameAncestor(string? value)
    {
        if (value == "'self'") return true;
        if (string.IsNullOrEmpty(value) || value.Length > 200 || value.Any(c => c <= ' ' || c > '~' || c is ';' or ',' or '\'')) return false;
        var probe = value.Replace("://*.", "://wildcard.", StringComparison.Ordinal);
        return Uri.TryCreate(probe, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" &&
               uri.AbsolutePath == "/" && !value.EndsWith('/') && uri.Query.Length == 0 && uri.Fragment.Length == 0 && uri.UserInfo.Length == 0;
    }

    public static IApplicationBuilder UseHeraldSecurityHeaders(this IApplicationBuilder app)
    {
        // Read on the first request, not here: a bad setting must reach the start-up message, not crash while the pipeline is built.
        var frames = new Lazy<(string Directive, bool Deny)>(() =>
        {
            var ancestors = app.ApplicationServices.GetRequiredService<IOptions<HeraldOptions>>().Value.Console.FrameAncestors;
            return ("frame-ancestors " + (ancestors.Count == 0 ? "'none'" : string.Join(' ', ancestors)), ancestors.Count == 0);
        });
        return app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var (frameAncestors, denyFrames) = frames.Value;
                if (context.Items[FrameAncestorsItem] is string portalOrigins) (frameAncestors, denyFrames) = ("frame-ancestors " + portalOrigins, false);
                var path = context.Request.Path;
                var headers = context.Response.Headers;
                headers[HeaderNames.XContentTypeOptions] = "nosniff";
                headers["Referrer-Policy"] = "no-referrer";
                if (denyFrames) headers[HeaderNames.XFrameOptions] = "DENY";
                else headers.Remove(HeaderNames.XFrameOptions);
                var isStatic = path.StartsWithSegments("/console/static") || path.Equals("/favicon.ico");
                var isDocs = path.StartsWithSegments("/docs") || path.StartsWithSegments("/scalar");
                var isConsole = path.StartsWithSegments("/console") || path.Equals("/favicon.ico");
                var consolePolicy = context.Items[ImageSourceItem] is string imageOrigin
                    ? ConsolePolicy.Replace("img-src 'self' data:", "img-src 'self' data: " + imageOrigin, StringComparison.Ordinal)
                    : ConsolePolicy;
                headers[HeaderNames.ContentSecurityPolicy] = (isDocs ? DocsPolicy : isConsole ? consolePolicy : ApiPolicy) + "; " + frameAncestors;
                if (!isStatic && !isDocs)
                {
                    headers[HeaderNames.CacheControl] = "no-store";
                    headers.Remove(HeaderNames.Pragma);
                }
                return Task.CompletedTask;
            });
            return next(context);
        });
    }
}
