using Herald.Errors;
using Herald.Keys;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Infrastructure;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Herald.Auth;

/// <summary>
/// Answers an API key whose role a route does not allow with a 403 that names the role the route needs (and says, for the
/// operator key on a project route, that operator keys belong to no project). Everything else goes to the default handler.
/// </summary>
public sealed class RoleProblemHandler(IProblemDetailsService problems) : IAuthorizationMiddlewareResultHandler
{
    private static readonly string[] RoleOrder = [Roles.Admin, Roles.Member, Roles.Operator];
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult result)
    {
        if (!result.Forbidden || context.User.Identity?.AuthenticationType != ApiKeyAuthenticationHandler.Scheme
            || Required(policy) is not { Count: > 0 } required)
        {
            await _default.HandleAsync(next, context, policy, result);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = Create(Caller.From(context.User).Role, required),
        });
    }

    /// <summary>The problem for a key of <paramref name="role"/> on a route that takes only <paramref name="required"/>.</summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails Create(string role, IReadOnlyList<string> required)
    {
        var keys = Describe(required);
        var detail = role == Roles.Operator && !required.Contains(Roles.Operator)
            ? $"Operator keys belong to no project, and this action works on a key's own project: use {keys} of the project."
            : $"This action needs {keys}; this key's role is {role}.";
        var problem = Problems.Create(StatusCodes.Status403Forbidden, ProblemCodes.Forbidden, "This key's role does not allow this action.", detail);
        problem.Extensions["required_roles"] = required;
        problem.Extensions["key_role"] = role;
        return problem;
    }

    /// <summary>The roles every role requirement of the policy allows (a route may combine a group's and its own).</summary>
    private static List<string>? Required(AuthorizationPolicy policy)
    {
        var sets = policy.Requirements.OfType<RolesAuthorizationRequirement>().Select(r => r.AllowedRoles).ToList();
        if (sets.Count == 0) return null;
        return RoleOrder.Where(role => sets.All(set => set.Contains(role))).ToList();
    }

    private static string Describe(IReadOnlyList<string> roles) => roles switch
    {
        [Roles.Operator] => "the operator key",
        [var one] => $"{Article(one)} {one} key",
        _ => $"{Article(roles[0])} {string.Join(", ", roles.Take(roles.Count - 1))} or {roles[^1]} key",
    };

    private static string Article(string word) => "aeiou".Contains(word[0]) ? "an" : "a";
}
