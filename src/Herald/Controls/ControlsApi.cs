using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Auth;
using Herald.Common;
using Herald.Destinations;
using Herald.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Controls;

/// <summary>Trying a destination's controls on an event without publishing it: /v1/destinations/{id}/filter-test and /preview.</summary>
public static class ControlsApi
{
    public static void MapControls(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/destinations").WithTags("Destinations").RequireAuthorization(AuthExtensions.ProjectKeyPolicy);
        group.MapPost("/{id}/filter-test", FilterTest).Doc("testDestinationFilter", "Test an event against a destination's payload filter");
        group.MapPost("/{id}/preview", Preview).Doc("previewDestinationMessage",
            "The exact body (and content type) a destination would be sent for an event, with its message template if it has one");
    }

    private static async Task<Results<Ok<FilterTestResponse>, ProblemHttpResult>> FilterTest(
        string id, TryEventRequest request, HttpContext http, DestinationStore store, ControlsService controls, CancellationToken ct)
    {
        var destination = Guid.TryParse(id, out _) ? await store.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
        if (destination is null) return Problems.NotFound("Destination");
        var (e, problem) = TryEvent.Read(request.Event);
        if (problem is not null) return problem;
        var filter = (await controls.GetAsync(destination.Id, ct))?.Filter;
        return TypedResults.Ok(new FilterTestResponse(filter is null || EventFilter.FromStored(filter).Matches(e!.ToFilterEvent())));
    }

    private static async Task<Results<Ok<PreviewResponse>, ProblemHttpResult>> Preview(
        string id, TryEventRequest request, HttpContext http, DestinationStore store, ControlsService controls,
        Destinations.Kinds.DestinationKindRegistry kinds, TemplatedPayloads payloads, CancellationToken ct)
    {
        var destination = Guid.TryParse(id, out _) ? await store.GetAsync(Caller.From(http.User).ProjectId!, id, ct) : null;
        if (destination is null) return Problems.NotFound("Destination");
        var (e, problem) = TryEvent.Read(request.Event);
        if (problem is not null) return problem;
        var stored = (await controls.GetAsync(destination.Id, ct))?.Template;
        var template = stored is null ? null : MessageTemplate.Parse(stored).Template;
        var (payload, error) = await payloads.RenderAsync(kinds.Get(destination.Kind), destination, e!.ToMessage(), template, ct);
        if (payload is null)
            return Problems.Result(Problems.Create(StatusCodes.Status422UnprocessableEntity, ProblemCodes.TemplateError,
                "The destination's template failed to render for this event.", $"template: {error}", "template",
                new Dictionary<string, string[]> { ["template"] = [error!] }));
        return TypedResults.Ok(new PreviewResponse(payload.ContentType, System.Text.Encoding.UTF8.GetString(payload.Body),
            template is not null));
    }
}

/// <summary>What a destination would be sent: the content type and the body exactly (a string of its UTF-8 bytes).</summary>
public sealed record PreviewResponse(string ContentType, string Body, bool Templated);

/// <summary>An event to try a destination's controls on: type, data, categories, occurred_at (and optional id, title, body).</summary>
public sealed record TryEventRequest(JsonObject? Event);

public sealed record FilterTestResponse(bool Matches);

/// <summary>The event of a filter test or preview, checked like a publish (shape only: the catalog is not consulted).</summary>
public sealed record TryEvent(string Id, string Type, string? Title, string? Body, JsonObject Data, IReadOnlyList<string> Categories, DateTimeOffset OccurredAt)
{
    /// <summary>The event as the senders render it (a missing title or body made as at publish).</summary>
    public Connectors.Message ToMessage() => new(Id, Type, Title ?? Connectors.MessageFactory.DefaultTitle(Type),
        Body ?? Connectors.MessageFactory.DefaultBody(Data), Data, OccurredAt, Categories);

    public FilterEvent ToFilterEvent() => new(Type, Categories, OccurredAt, JsonSerializer.SerializeToElement(Data));

    public static (TryEvent? Event, ProblemHttpResult? Problem) Read(JsonObject? e)
    {
        var v = new Validation();
        if (e is null) return (null, Problems.Validation("event", "is required: an object with type and data."));
        string? Text(string name, int max, bool required)
        {
            var node = e[name];
            if (node is null) { if (required) v.Add($"event.{name}", "is required."); return null; }
            if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String) return v.Text($"event.{name}", value.GetValue<string>(), max);
            v.Add($"event.{name}", "must be a string.");
            return null;
        }
        var type = Text("type", 100, required: true);
        var id = Text("id", 100, required: false) ?? "evt_preview";
        var title = Text("title", 200, required: false);
        var body = Text("body", 4000, required: false);
        var data = e["data"] as JsonObject;
        if (e["data"] is not null and not JsonObject) v.Add("event.data", "must be a JSON object.");
        var categories = new List<string>();
        if (e["categories"] is JsonArray list)
        {
            for (var i = 0; i < list.Count; i++)
                if (list[i] is JsonValue c && c.GetValueKind() == JsonValueKind.String && c.GetValue<string>() is { Length: > 0 and <= 64 } s) categories.Add(s);
                else v.Add($"event.categories[{i}]", "must be 1-64 characters.");
        }
        else if (e["categories"] is not null) v.Add("event.categories", "must be an array of strings.");
        var occurredAt = DateTimeOffset.UnixEpoch;
        if (e["occurred_at"] is { } at)
        {
            if (EventFilter.Instant(at) is { } instant) occurredAt = instant;
            else v.Add("event.occurred_at", "must be a date-time such as 2026-01-31T12:00:00Z.");
        }
        foreach (var (key, _) in e)
            if (key is not ("id" or "type" or "title" or "body" or "data" or "categories" or "occurred_at"))
                v.Add($"event.{key}", "is not a field of an event (id, type, title, body, data, categories, occurred_at).");
        if (!v.IsValid) return (null, v.Problem());
        return (new TryEvent(id, type!, title, body, (JsonObject)(data?.DeepClone() ?? new JsonObject()), categories, occurredAt), null);
    }
}
