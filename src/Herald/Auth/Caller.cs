using System.Security.Claims;
using Herald.Keys;

namespace Herald.Auth;

/// <summary>Who is calling: the API key's id, its project (null for the operator key) and its role.</summary>
public sealed record Caller(string KeyId, string? ProjectId, string Role)
{
    public const string KeyIdClaim = "herald:key_id";
    public const string ProjectClaim = "herald:project_id";

    public bool IsOperator => Role == Roles.Operator;
    public bool IsAdmin => Role == Roles.Admin;

    /// <summary>May see this project's data: the operator, or any key of that project.</summary>
    public bool CanRead(string projectId) => IsOperator || ProjectId == projectId;

    /// <summary>May change this project's configuration: the operator, or an admin key of that project.</summary>
    public bool CanAdminister(string projectId) => IsOperator || (IsAdmin && ProjectId == projectId);

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(KeyIdClaim) ?? throw new InvalidOperationException("Endpoint is missing RequireAuthorization()."),
        user.FindFirstValue(ProjectClaim),
        user.FindFirstValue(ClaimTypes.Role)!);

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim> { new(KeyIdClaim, KeyId), new(ClaimTypes.Role, Role) };
        if (ProjectId is not null) claims.Add(new Claim(ProjectClaim, ProjectId));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
