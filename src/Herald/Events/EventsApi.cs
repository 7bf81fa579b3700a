using System.Text.RegularExpressions;
using Herald.Auth;
using Herald.Common;
using Herald.Delivery;
using Herald.Errors;
using Herald.Options;
using Herald.Projects;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Herald.Events;

/// <summary>/v1/events (publish, list, one with its deliveries) and /v1/event-types (the catalog; operators add types).</summary>
public static partial class EventsApi
{
    public static void MapEvents(this WebApplication app)
    {
        app.UseWhen(context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path == "/v1/events", LimitBodySize);

        var events = app.MapGroup("/v1/events").WithTags("Events").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        events.MapPost("/", Publish).Doc("publishEvent", "Publish an event", 409).WithIdempotencyKey(EventPublisher.MaxIdempotencyKeyLength);
        events.MapGet("/", List).Doc("listEvents", "List events");
        events.MapGet("/{id}", Get).Doc("getEvent", "Get an event with its deliveries");

        var types = app.MapGroup("/v1/event-types").WithTags("Event types").RequireAuthorization();
        types.MapGet("/", ListTypes).Doc("listEventTypes", "List the event catalog");
        types.MapGet("/{name}", GetEventType).Doc("getEventType", "Get an event type");
        types.MapPost("/", CreateType).RequireAuthorization(AuthExtensions.OperatorPolicy).Doc("createEventType", "Add an event type to the catalog", 409);
        types.MapPatch("/{name}", UpdateType).RequireAuthorization(AuthExtensions.OperatorPolicy).Doc("updateEventType", "Change an event type's description or schema");
        types.MapDelete("/{name}", DeleteType).RequireAuthorization(AuthExtensions.OperatorPolicy).Doc("deleteEventType", "Delete an event type", 409);
    }

    /// <summary>Refuses bodies over Herald:Events:MaxPayloadBytes with 413 before they are read.</summary>
    private static void LimitBodySize(IApplicationBuilder branch) => branch.Use(async (context, next) =>
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<HeraldOptions>>().Value.Events.MaxPayloadBytes;
        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = Problems.Create(413, "payload_too_large", "The event is too large.",
                    $"An event may be at most {limit / 1024} KiB.", "body"),
            });
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        await next(context);
    });

    private static async Task<Results<Accepted<EventResponse>, ProblemHttpResult>> Publish(
        PublishRequest request, HttpContext http, EventPublisher publisher, CancellationToken ct)
    {
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var (result, problem) = await publisher.PublishAsync(Caller.From(http.User).ProjectId!, request, key, ct);
        if (problem is not null) return problem;
        if (result!.Replayed) http.Response.Headers["Idempotent-Replayed"] = "true";
        return TypedResults.Accepted($"/v1/events/{result.Event.Id}", EventResponse.From(result.Event));
    }

    private static async Task<Ok<ListResponse<EventResponse>>> List(
        HttpContext http, EventStore events, string? type, string? cursor, int? limit, CancellationToken ct)
    {
        var page = await events.ListAsync(Caller.From(http.User).ProjectId!, type, cursor, Limits.Clamp(limit), ct);
        return TypedResults.Ok(ListResponse<EventResponse>.From(page, e => EventResponse.From(e)));
    }

    private static async Task<Results<Ok<EventResponse>, ProblemHttpResult>> Get(
        string id, HttpContext http, EventStore events, DeliveryStore deliveries, CancellationToken ct)
    {
        var e = Ids.IsWellFormed(id, "evt") ? await events.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
        if (e is null) return Problems.NotFound("Event");
        var list = await deliveries.ForEventAsync(e.Id, ct);
        return TypedResults.Ok(EventResponse.From(e, list.Select(d => DeliveryResponse.From(d)).ToList()));
    }

    private static async Task<Ok<ListResponse<EventTypeResponse>>> ListTypes(EventCatalog catalog, CancellationToken ct)
    {
        var all = await catalog.AllAsync(ct);
        return TypedResults.Ok(new ListResponse<EventTypeResponse>("list", all.Select(EventTypeResponse.From).ToList(), false, null));
    }

    private static async Task<Results<Ok<EventTypeResponse>, ProblemHttpResult>> GetEventType(string name, EventCatalog catalog, CancellationToken ct) =>
        await catalog.FindAsync(name, ct) is { } type ? TypedResults.Ok(EventTypeResponse.From(type)) : Problems.NotFound("Event type");

    private static async Task<Results<Created<EventTypeResponse>, ProblemHttpResult>> CreateType(
        CreateEventTypeRequest request, EventCatalog catalog, CancellationToken ct)
    {
        var v = new Validation();
        var name = v.Required("name", request.Name, 100);
        if (name is not null && !TypeName().IsMatch(name)) v.Add("name", "must be dot-separated lowercase words, such as order.shipped.");
        var description = v.Text("description", request.Description, 500) ?? "";
        var schema = await CheckSchemaAsync(v, request.Schema);
        if (!v.IsValid) return v.Problem();
        if (!await catalog.AddAsync(name!, description, schema, ct))
            return Problems.Conflict("event_type_exists", "That event type already exists.", $"'{name}' is already in the catalog.", "name");
        return TypedResults.Created($"/v1/event-types/{name}", EventTypeResponse.From((await catalog.FindAsync(name!, ct))!));
    }

    private static async Task<Results<Ok<EventTypeResponse>, ProblemHttpResult>> UpdateType(
        string name, UpdateEventTypeRequest request, EventCatalog catalog, CancellationToken ct)
    {
        var v = new Validation();
        var description = v.Text("description", request.Description, 500);
        var schema = request.Schema.IsSet ? await CheckSchemaAsync(v, request.Schema.Value) : null;
        if (!v.IsValid) return v.Problem();
        if (!await catalog.UpdateAsync(name, description, new Optional<string?>(request.Schema.IsSet, schema), ct)) return Problems.NotFound("Event type");
        return TypedResults.Ok(EventTypeResponse.From((await catalog.FindAsync(name, ct))!));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteType(string name, EventCatalog catalog, CancellationToken ct)
    {
        var type = await catalog.FindAsync(name, ct);
        if (type is null) return Problems.NotFound("Event type");
        if (type.IsBuiltin) return Problems.Conflict("event_type_builtin", "Built-in event types cannot be deleted.", $"'{name}' ships with Herald.");
        await catalog.DeleteAsync(name, ct);
        return TypedResults.NoContent();
    }

    private static readonly string[] SchemaTypes = ["object", "array", "string", "number", "integer", "boolean", "null"];

    /// <summary>Parses the schema and checks what the parser lets through: every "type" is a JSON type, every "pattern" a regex.</summary>
    private static async Task<string?> CheckSchemaAsync(Validation v, System.Text.Json.Nodes.JsonObject? schema)
    {
        if (schema is null) return null;
        var text = schema.ToJsonString();
        try
        {
            await BoundedSchema.ParseAsync(text);
        }
        catch (Exception)
        {
            v.Add("schema", "is not a valid JSON Schema.");
            return null;
        }
        foreach (var (path, keyword, value) in Keywords(schema, "schema"))
        {
            if (keyword == "type")
            {
                var types = value is System.Text.Json.Nodes.JsonArray array ? array.Select(t => t?.ToString()) : [value?.ToString()];
                if (types.Any(t => !SchemaTypes.Contains(t))) v.Add(path, $"must be one of: {string.Join(", ", SchemaTypes)}.");
            }
            else if (keyword == "pattern" && BoundedSchema.WhyRefused(value?.ToString() ?? "") is { } why)
            {
                v.Add(path, why);
            }
            else if (keyword == "patternProperties" && value is System.Text.Json.Nodes.JsonObject patterns)
            {
                foreach (var (pattern, _) in patterns)
                    if (BoundedSchema.WhyRefused(pattern) is { } refused) v.Add($"{path}.{pattern}", refused);
            }
        }
        return v.IsValid ? text : null;
    }

    private static IEnumerable<(string Path, string Keyword, System.Text.Json.Nodes.JsonNode? Value)> Keywords(System.Text.Json.Nodes.JsonNode? node, string path)
    {
        if (node is System.Text.Json.Nodes.JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                if (key is "type" or "pattern" && value is System.Text.Json.Nodes.JsonValue or System.Text.Json.Nodes.JsonArray) yield return ($"{path}.{key}", key, value);
                if (key is "patternProperties" && value is System.Text.Json.Nodes.JsonObject) yield return ($"{path}.{key}", key, value);
                foreach (var inner in Keywords(value, $"{path}.{key}")) yield return inner;
            }
        }
        else if (node is System.Text.Json.Nodes.JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
                foreach (var inner in Keywords(array[i], $"{path}[{i}]")) yield return inner;
        }
    }

    [GeneratedRegex(@"^[a-z0-9_]+(\.[a-z0-9_]+)+$")]
    private static partial Regex TypeName();
}
