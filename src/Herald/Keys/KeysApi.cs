using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Keys;

/// <summary>/v1/projects/{projectId}/keys: the operator or the project's admin creates, lists and revokes keys.</summary>
public static class KeysApi
{
    public static RouteGroupBuilder MapKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/projects/{projectId}/keys").WithTags("API keys")
            .RequireAuthorization(AuthExtensions.AdminPolicy);
        group.MapPost("/", Create).Doc("createKey", "Create an API key");
        group.MapGet("/", List).Doc("listKeys", "List a project's API keys");
        group.MapDelete("/{keyId}", Revoke).Doc("revokeKey", "Revoke an API key");
        app.MapGet("/v1/me", Me).WithTags("API keys").RequireAuthorization().Doc("getCurrentKey", "Show the calling key and its project");
        return group;
    }

    private static async Task<Results<Created<CreatedApiKeyResponse>, ProblemHttpResult>> Create(
        string projectId, CreateKeyRequest request, HttpContext http, ProjectStore projects, KeyStore keys, CancellationToken ct)
    {
        if (!await Exists(http, projectId, projects, ct)) return Problems.NotFound("Project");
        var v = new Validation();
        var name = v.Required("name", request.Name, ProjectsApi.MaxNameLength);
        var role = request.Role?.Trim().ToLowerInvariant() ?? Roles.Member;
        if (!Roles.ProjectRoles.Contains(role)) v.Add("role", $"must be one of: {string.Join(", ", Roles.ProjectRoles)}.");
        if (!v.IsValid) return v.Problem();

        var (key, secret) = await keys.CreateAsync(projectId, role, name!, ct: ct);
        return TypedResults.Created($"/v1/projects/{projectId}/keys/{key.Id}",
            new CreatedApiKeyResponse(key.Id, "api_key", projectId, key.Role, key.Name, key.Prefix, Clock.FromMs(key.CreatedAt), secret));
    }

    private static async Task<Results<Ok<ListResponse<ApiKeyResponse>>, ProblemHttpResult>> List(
        string projectId, HttpContext http, ProjectStore projects, KeyStore keys, string? cursor, int? limit, CancellationToken ct)
    {
        if (!await Exists(http, projectId, projects, ct)) return Problems.NotFound("Project");
        var page = await keys.ListAsync(projectId, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<ApiKeyResponse>.From(page, ApiKeyResponse.From));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Revoke(
        string projectId, string keyId, HttpContext http, ProjectStore projects, KeyStore keys, CancellationToken ct)
    {
        if (!await Exists(http, projectId, projects, ct)) return Problems.NotFound("Project");
        if (!Ids.IsWellFormed(keyId, "key") || !await keys.RevokeAsync(projectId, keyId, ct)) return Problems.NotFound("API key");
        return TypedResults.NoContent();
    }

    private static Ok<MeResponse> Me(HttpContext http)
    {
        var caller = Caller.From(http.User);
        return TypedResults.Ok(new MeResponse(caller.KeyId, caller.ProjectId, caller.Role));
    }

    private static async Task<bool> Exists(HttpContext http, string projectId, ProjectStore projects, CancellationToken ct) =>
        Caller.From(http.User).CanAdminister(projectId) && Ids.IsWellFormed(projectId, "prj") && await projects.GetAsync(projectId, ct) is not null;
}

public sealed record MeResponse(string KeyId, string? ProjectId, string Role);
