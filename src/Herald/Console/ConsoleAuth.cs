using System.Security.Claims;
using Herald.Auth;
using Herald.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Herald.WebConsole;

/// <summary>
/// The console's session: an HttpOnly, SameSite=Strict cookie that names the API key used to sign in (never the key itself),
/// checked against the key store on every request, so revoking the key ends the session.
/// </summary>
public static class ConsoleAuth
{
    public const string Scheme = "HeraldConsole";
    public const string Policy = "console";

    public static IServiceCollection AddHeraldConsole(this IServiceCollection services)
    {
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.Cookie.Name = "herald_console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.LoginPath = "/console/login";
            o.LogoutPath = "/console/logout";
            o.AccessDeniedPath = "/console/login";
            o.ExpireTimeSpan = TimeSpan.FromHours(8);
            o.SlidingExpiration = true;
            o.Events.OnValidatePrincipal = async context =>
            {
                var keyId = context.Principal?.FindFirstValue(Caller.KeyIdClaim);
                var keys = context.HttpContext.RequestServices.GetRequiredService<KeyStore>();
                if (keyId is null || await keys.FindActiveByIdAsync(keyId, context.HttpContext.RequestAborted) is null)
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(Scheme);
                }
            };
        });
        // The security headers set X-Frame-Options (DENY, or none when an operator allows embedding).
        services.AddAntiforgery(o =>
        {
            o.SuppressXFrameOptionsHeader = true;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddSingleton<DeliveryLog>();
        services.AddSingleton<HealthView>();
        // TempData (notices and one-time secrets across a redirect) lives in a Data Protection-sealed cookie.
        services.Configure<Microsoft.AspNetCore.Mvc.CookieTempDataProviderOptions>(o =>
        {
            o.Cookie.Name = "herald_flash";
            o.Cookie.Path = "/console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.Cookie.IsEssential = true;
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireRole(Roles.Admin, Roles.Member));
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.AuthorizeFolder("/", Policy);
            o.Conventions.AllowAnonymousToPage("/Login");
        });
        return services;
    }

    public static async Task SignInAsync(HttpContext http, ApiKeyRecord key)
    {
        var caller = new Caller(key.Id, key.ProjectId, key.Role);
        await http.SignInAsync(Scheme, caller.ToPrincipal(Scheme), new AuthenticationProperties { IsPersistent = false });
    }
}
