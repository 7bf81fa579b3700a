using Herald.Keys;
using Microsoft.AspNetCore.Authentication;

namespace Herald.Auth;

public static class AuthExtensions
{
    public const string OperatorPolicy = "operator";
    public const string AdminPolicy = "admin";
    /// <summary>Any key that belongs to a project (admin or member): project-scoped routes such as /v1/destinations.</summary>
    public const string ProjectKeyPolicy = "project-key";
    /// <summary>An admin key of a project: changes to that project's outbound integrations.</summary>
    public const string ProjectAdminPolicy = "project-admin";

    public static IServiceCollection AddHeraldAuth(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.RequireRole(Roles.Operator))
            .AddPolicy(AdminPolicy, p => p.RequireRole(Roles.Admin, Roles.Operator))
            .AddPolicy(ProjectKeyPolicy, p => p.RequireRole(Roles.Admin, Roles.Member))
            .AddPolicy(ProjectAdminPolicy, p => p.RequireRole(Roles.Admin));
        services.AddSingleton<Microsoft.AspNetCore.Authorization.IAuthorizationMiddlewareResultHandler, RoleProblemHandler>();
        return services;
    }
}
