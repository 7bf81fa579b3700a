using Herald.Keys;
using Microsoft.AspNetCore.Authentication;

namespace Herald.Auth;

public static class AuthExtensions
{
    public const string OperatorPolicy = "operator";
    public const string AdminPolicy = "admin";

    public static IServiceCollection AddHeraldAuth(this IServiceCollection services)
    {
        services.AddAuthentication(ApiKeyAuthenticationHandler.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorPolicy, p => p.RequireRole(Roles.Operator))
            .AddPolicy(AdminPolicy, p => p.RequireRole(Roles.Admin, Roles.Operator));
        return services;
    }
}
