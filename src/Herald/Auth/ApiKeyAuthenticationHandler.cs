using System.Text.Encodings.Web;
using Herald.Errors;
using Herald.Keys;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Herald.Auth;

/// <summary>Bearer API keys: the presented secret is hashed and looked up; failures answer problem+json.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    KeyStore keys, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public new const string Scheme = "ApiKey";
    private const int MaxKeyLength = 200;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return AuthenticateResult.Fail("Authorization must use the Bearer scheme.");

        var secret = header["Bearer ".Length..].Trim();
        if (secret.Length is 0 or > MaxKeyLength) return AuthenticateResult.Fail("Invalid API key.");

        var key = await keys.FindActiveAsync(secret, Context.RequestAborted);
        if (key is null) return AuthenticateResult.Fail("Invalid API key.");
        await keys.TouchAsync(key, Context.RequestAborted);

        var caller = new Caller(key.Id, key.ProjectId, key.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(Scheme), Scheme));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        var header = Request.Headers.Authorization.ToString();
        var hasHeader = header.Length > 0;
        var bearer = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(401, "unauthorized",
                !hasHeader ? "An API key is required." : bearer ? "The API key is invalid or revoked." : "Authorization must use the Bearer scheme.",
                "Send 'Authorization: Bearer <api key>'.", "Authorization"),
        });
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = Problems.Create(403, "forbidden", "This key may not do that.", "The key's role does not allow this action."),
        });
    }
}
