using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Keys;
using Herald.Options;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Portal;

/// <summary>
/// /v1/projects/{projectId}/portal-sessions: the operator or the project's admin key creates sign-in links to the console for the
/// project's own customers, and ends them all. A link carries a single-use token; the console exchanges it for its session cookie.
/// </summary>
public static class PortalApi
{
    public static IServiceCollection AddHeraldPortal(this IServiceCollection services)
    {
        services.AddSingleton<PortalStore>();
        return services;
    }

    public static void MapPortal(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/projects/{projectId}/portal-sessions").WithTags("Portal").RequireAuthorization(AuthExtensions.AdminPolicy);
        group.MapPost("/", Create).Doc("createPortalSession", "Create a single-use sign-in link to the customer portal");
        group.MapDelete("/", EndAll).Doc("endPortalSessions", "End every portal session and unopened link of a project");
        app.MapGet("/console/theme.css", PortalContext.ThemeAsync).RequireAuthorization(WebConsole.ConsoleAuth.Policy).ExcludeFromDescription();
    }

    private static async Task<Results<Created<PortalSessionResponse>, ProblemHttpResult>> Create(
        string projectId, CreatePortalSessionRequest request, HttpContext http, ProjectStore projects, PortalStore portal,
        IOptions<HeraldOptions> options, CancellationToken ct)
    {
        if (!await ExistsAsync(http, projectId, projects, ct)) return Problems.NotFound("Project");
        var v = new Validation();
        var role = request.Role?.Trim().ToLowerInvariant() ?? Roles.Member;
        if (!Roles.ProjectRoles.Contains(role)) v.Add("role", $"must be one of: {string.Join(", ", Roles.ProjectRoles)}.");
        var seconds = request.ExpiresIn ?? PortalRules.DefaultSessionSeconds;
        if (seconds is < PortalRules.MinSessionSeconds or > PortalRules.MaxSessionSeconds)
            v.Add("expires_in", $"must be between {PortalRules.MinSessionSeconds} and {PortalRules.MaxSessionSeconds} seconds (24 hours).");
        var returnUrl = PortalRules.CheckUrl(v, "return_url", request.ReturnUrl, options.Value.Delivery.AllowHttp);
        if (!v.IsValid) return v.Problem();

        var (session, token) = await portal.CreateSessionAsync(projectId, role, seconds, returnUrl?.AbsoluteUri, ct);
        var url = $"{http.Request.Scheme}://{http.Request.Host}{http.Request.PathBase}/console/portal?token={token}";
        return TypedResults.Created((string?)null, new PortalSessionResponse(session.Id, "portal_session", url, Clock.FromMs(session.LinkExpiresAt),
            role, seconds, session.ReturnUrl));
    }

    private static async Task<Results<Ok<EndedPortalSessionsResponse>, ProblemHttpResult>> EndAll(
        string projectId, HttpContext http, ProjectStore projects, PortalStore portal, CancellationToken ct)
    {
        if (!await ExistsAsync(http, projectId, projects, ct)) return Problems.NotFound("Project");
        return TypedResults.Ok(new EndedPortalSessionsResponse("portal_sessions_ended", await portal.EndAllAsync(projectId, ct)));
    }

    /// <summary>
    /// Applies the "portal" object of PATCH /v1/projects/{id} to the current settings: omitted fields stay, null clears one (null for
    /// the whole object clears all). The logo must be served from an allowed origin, as the portal loads nothing from elsewhere.
    /// </summary>
    public static PortalSettings? Merge(Validation v, PortalSettings current, Optional<PortalSettingsRequest?> change, bool allowHttp)
    {
        if (!change.IsSet) return null;
        if (change.Value is not { } p) return PortalSettings.None;
        var origins = p.AllowedOrigins.IsSet
            ? PortalRules.CheckOrigins(v, "portal.allowed_origins", p.AllowedOrigins.Value ?? [], allowHttp) ?? []
            : current.AllowedOrigins;
        var name = p.ProductName.IsSet ? v.Text("portal.product_name", p.ProductName.Value, PortalRules.MaxProductNameLength) : current.ProductName;
        var color = p.AccentColor.IsSet ? PortalRules.CheckColor(v, "portal.accent_color", p.AccentColor.Value) : current.AccentColor;
        string? logo;
        if (p.LogoUrl.IsSet) logo = PortalRules.CheckLogo(v, "portal.logo_url", p.LogoUrl.Value, origins, allowHttp);
        else
        {
            logo = current.LogoUrl;
            if (logo is not null && !origins.Contains(PortalRules.OriginOf(new Uri(logo)), StringComparer.Ordinal))
                v.Add("portal.logo_url", "is served from an origin no longer in portal.allowed_origins: change or remove it (null) in the same request.");
        }
        return new PortalSettings(origins, name, color, logo);
    }

    private static async Task<bool> ExistsAsync(HttpContext http, string projectId, ProjectStore projects, CancellationToken ct) =>
        Caller.From(http.User).CanAdminister(projectId) && Ids.IsWellFormed(projectId, "prj") && await projects.GetAsync(projectId, ct) is not null;
}
