using System.Security.Claims;
using Herald.Auth;
using Herald.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Herald.Portal;

namespace Herald.WebConsole;

/// <summary>
/// The console's session: an HttpOnly, SameSite=Strict cookie that names the API key used to sign in (never the key itself),
/// checked against the key store on every request, so revoking the key ends the session. A session started from a portal link
/// (docs/portal.md) names its portal session instead, checked against the portal's store on every request, so its end, expiry or
/// DELETE /v1/projects/{id}/portal-sessions ends it; its cookies work inside the host product's iframe when the project allows one.
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = "HeraldConsole";
    public const string Policy = "console";

    public static IServiceCollection AddHeraldConsole(this IServiceCollection services)
    {
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie = new PortalAwareCookieBuilder
            {
                Name = "herald_console",
                Path = "/",
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                SecurePolicy = CookieSecurePolicy.SameAsRequest,
                IsEssential = true,
            };
            o.LoginPath = "/console/login";
            o.LogoutPath = "/console/logout";
            o.AccessDeniedPath = "/console/login";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = async context =>
            {
                if (context.Principal?.FindFirstValue(PortalContext.SessionClaim) is { } portalId)
                {
                    var live = await context.HttpContext.RequestServices.GetRequiredService<PortalStore>().FindLiveAsync(portalId, context.HttpContext.RequestAborted);
                    if (live is not null && live.ProjectId == context.Principal.FindFirstValue(Caller.ProjectClaim))
                    {
                        context.HttpContext.Items[PortalContext.LiveSessionItem] = live;
                        return;
                    }
                    // Ended, expired or gone: the cookie is removed (with the attributes it was set with) and the page says so.
                    if (context.Principal.HasClaim(PortalContext.FramedClaim, "1")) PortalContext.MarkFramed(context.HttpContext);
                    context.HttpContext.Items[EndedPortalItem] = portalId;
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(Scheme);
                    return;
                }
                var keyId = context.Principal?.FindFirstValue(Caller.KeyIdClaim);
                var keys = context.HttpContext.RequestServices.GetRequiredService<KeyStore>();
                if (keyId is null || await keys.FindActiveByIdAsync(keyId, context.HttpContext.RequestAborted) is null)
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(Scheme);
                }
            };
            o.Events.OnRedirectToLogin = context =>
            {
                context.Response.Redirect(context.HttpContext.Items[EndedPortalItem] is string ended
                    ? "/console/portal/ended?session=" + Uri.EscapeDataString(ended)
                    : context.RedirectUri);
                return Task.CompletedTask;
            };
        });
        // The security headers set X-Frame-Options (DENY, or none when an operator allows embedding).
        services.AddAntiforgery(o =>
        {
            o.SuppressXFrameOptionsHeader = true;
            o.Cookie = new PortalAwareCookieBuilder
            {
                Name = o.Cookie.Name, Path = "/", HttpOnly = true, IsEssential = true,
                SameSite = SameSiteMode.Strict, SecurePolicy = CookieSecurePolicy.SameAsRequest,
            };
        });
        services.AddSingleton<DeliveryLog>();
        services.AddSingleton<HealthView>();
        // TempData (notices and one-time secrets across a redirect) lives in a Data Protection-sealed cookie.
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o => o.Cookie = new PortalAwareCookieBuilder
        {
            Name = "herald_flash",
            Path = "/console",
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            SecurePolicy = CookieSecurePolicy.SameAsRequest,
            IsEssential = true,
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireRole(Roles.Admin, Roles.Member));
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.AuthorizeFolder("/", Policy);
            o.Conventions.AllowAnonymousToPage("/Login");
            o.Conventions.AllowAnonymousToPage("/Portal");
            o.Conventions.AllowAnonymousToPage("/PortalEnded");
        });
        return services;
    }

    public static async Task SignInAsync(HttpContext http, ApiKeyRecord key)
    {
        var caller = new Caller(key.Id, key.ProjectId, key.Role);
        await http.SignInAsync(Scheme, caller.ToPrincipal(Scheme), new AuthenticationProperties { IsPersistent = false });
    }

    private const string EndedPortalItem = "herald:portal-ended";

    /// <summary>
    /// Signs in a portal session just opened: no API key behind it, the role it was created with, and an end that sliding renewal
    /// cannot move. <paramref name="framed"/>: the project allows framing, so the cookie must work in a cross-site iframe.
    /// </summary>
    public static async Task SignInPortalAsync(HttpContext http, PortalSessionRecord session, bool framed)
    {
        var identity = (ClaimsIdentity)new Caller(session.Id, session.ProjectId, session.Role).ToPrincipal(Scheme).Identity!;
        identity.AddClaim(new Claim(PortalContext.SessionClaim, session.Id));
        if (framed)
        {
            identity.AddClaim(new Claim(PortalContext.FramedClaim, "1"));
            PortalContext.MarkFramed(http);
        }
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            IsPersistent = false,
            AllowRefresh = false,
            // The store decides when the session ends (checked on every request); the ticket outlives it briefly, so an expired
            // session reaches that check and its page says it ended, instead of a bare sign-in form.
            ExpiresUtc = DateTimeOffset.FromUnixTimeMilliseconds(session.ExpiresAt!.Value) + TimeSpan.FromMinutes(5),
        });
    }
}
