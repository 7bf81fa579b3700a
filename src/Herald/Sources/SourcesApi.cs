using Herald.Auth;
using Herald.Common;
using Herald.Errors;
using Herald.Projects;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Sources;

/// <summary>
/// /v1/sources (member keys read, admin keys change) and the inbound endpoint POST /in/{token}, which takes no API key: the
/// provider's signature is the credential.
/// </summary>
public static class SourcesApi
{
    public const string InboundPrefix = "/in";

    public static void MapSources(this WebApplication app)
    {
        var group = app.MapGroup("/v1/sources").WithTags("Sources").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapGet("/kinds", Kinds).Doc("listSourceKinds", "List the inbound providers a source can be");
        group.MapPost("/", Create).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("createSource", "Create an inbound source");
        group.MapGet("/", List).Doc("listSources", "List inbound sources");
        group.MapGet("/{id}", Get).Doc("getSource", "Get an inbound source");
        group.MapPatch("/{id}", Update).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("updateSource", "Change a source's name, secret or status");
        group.MapDelete("/{id}", Delete).RequireAuthorization(AuthExtensions.ProjectAdminPolicy).Doc("deleteSource", "Delete an inbound source");

        app.MapPost($"{InboundPrefix}/{{token}}", Receive).AllowAnonymous().WithTags("Sources")
            .Doc("receiveInbound", "Receive a provider's signed webhook (no API key: the signature is the credential)", 400, 401, 413, 422, 429);
    }

    private static Ok<ListResponse<SourceKindResponse>> Kinds(SourceProviders providers) =>
        TypedResults.Ok(new ListResponse<SourceKindResponse>("list", providers.All.Select(p => new SourceKindResponse(p.Kind, "source_kind", p.Name,
            p.Description, p.Namespace, p.KnownEvents.Select(e => $"{p.Namespace}.{e.Type}").ToList())).ToList(), false, null));

    private static async Task<Results<Created<SourceResponse>, ProblemHttpResult>> Create(
        CreateSourceRequest request, HttpContext http, SourceService service, SourceProviders providers, CancellationToken ct)
    {
        var (source, problem) = await service.CreateAsync(Caller.From(http.User).ProjectId!, request.Kind, request.Name, request.Secret,
            SourceVia.Api, SourceFieldNames.Default, ct);
        if (problem is not null) return problem;
        return TypedResults.Created($"/v1/sources/{source!.Id}", Response(source, http, service, providers));
    }

    private static async Task<Ok<ListResponse<SourceResponse>>> List(
        HttpContext http, SourceStore store, SourceService service, SourceProviders providers, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await store.ListAsync(Caller.From(http.User).ProjectId!, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<SourceResponse>.From(page, s => Response(s, http, service, providers)));
    }

    private static async Task<Results<Ok<SourceResponse>, ProblemHttpResult>> Get(
        string id, HttpContext http, SourceStore store, SourceService service, SourceProviders providers, CancellationToken ct) =>
        await Find(id, http, store, ct) is { } s ? TypedResults.Ok(Response(s, http, service, providers)) : Problems.NotFound("Source");

    private static async Task<Results<Ok<SourceResponse>, ProblemHttpResult>> Update(
        string id, UpdateSourceRequest request, HttpContext http, SourceStore store, SourceService service, SourceProviders providers, CancellationToken ct)
    {
        if (await Find(id, http, store, ct) is not { } current) return Problems.NotFound("Source");
        var (updated, problem) = await service.UpdateAsync(current, request.Name, request.Secret, request.Status, SourceFieldNames.Default, ct);
        return problem ?? (Results<Ok<SourceResponse>, ProblemHttpResult>)TypedResults.Ok(Response(updated!, http, service, providers));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, HttpContext http, SourceStore store, CancellationToken ct) =>
        Ids.IsWellFormed(id, "src") && await store.DeleteAsync(Caller.From(http.User).ProjectId!, id, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("Source");

    /// <summary>Answers the provider: 200 once stored (or already stored), otherwise a short problem that explains nothing.</summary>
    private static async Task<IResult> Receive(string token, HttpContext http, SourceReceiver receiver, CancellationToken ct)
    {
        // The token is the source's address: the request log shows the route, not the token.
        http.Items[RequestLogging.LogPathItem] = $"{InboundPrefix}/{{token}}";
        var outcome = await receiver.ReceiveAsync(token, http, ct);
        return outcome.Status switch
        {
            ReceiveStatus.Accepted => TypedResults.Ok(new ReceiptResponse("receipt", outcome.EventId, outcome.Duplicate)),
            ReceiveStatus.NotFound => Problems.NotFound("Inbound URL"),
            ReceiveStatus.RateLimited => Problems.Result(Problems.Create(429, "rate_limited", "Too many requests.", "Slow down and retry later.")),
            ReceiveStatus.TooLarge => Problems.Result(Problems.Create(413, "payload_too_large", "The request body is too large.", null, "body")),
            ReceiveStatus.Unverified => Problems.Result(Problems.Create(401, "unauthorized", "The request could not be verified.")),
            ReceiveStatus.Malformed => Problems.Result(Problems.Create(400, "malformed_json", "The body is not a JSON object this source can read.", null, "body")),
            _ => outcome.Problem!,
        };
    }

    private static SourceResponse Response(SourceRecord s, HttpContext http, SourceService service, SourceProviders providers) =>
        SourceResponse.From(s, service.InboundUrl(s, http.Request), providers.Find(s.Kind));

    private static async Task<SourceRecord?> Find(string id, HttpContext http, SourceStore store, CancellationToken ct) =>
        Ids.IsWellFormed(id, "src") ? await store.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
}
