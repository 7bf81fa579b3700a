using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Retention;

/// <summary>DELETE /v1/projects/{id}/data: erase a project's events and delivery logs (GDPR); the operator or the project's admin.</summary>
public static class RetentionApi
{
    public static void MapRetention(this IEndpointRouteBuilder app) =>
        app.MapDelete("/v1/projects/{projectId}/data", async Task<Results<Ok<ErasureResponse>, ProblemHttpResult>> (
            string projectId, HttpContext http, ProjectStore projects, Pruner pruner, CancellationToken ct) =>
        {
            if (!Caller.From(http.User).CanAdminister(projectId) || !Ids.IsWellFormed(projectId, "prj") || await projects.GetAsync(projectId, ct) is null)
                return Problems.NotFound("Project");
            return TypedResults.Ok(new ErasureResponse("erasure", projectId, await pruner.EraseProjectAsync(projectId, ct)));
        }).WithTags("Projects").RequireAuthorization(AuthExtensions.AdminPolicy).Doc("eraseProjectData", "Erase a project's events and delivery logs");
}

public sealed record ErasureResponse(string Object, string ProjectId, int EventsDeleted);
