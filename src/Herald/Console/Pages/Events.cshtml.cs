using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Connectors;
using Herald.Destinations;
using Herald.Events;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

/// <summary>
/// The event catalog: each type with its description, JSON Schema and an example payload; an admin sends the example to one
/// connector now (through the same render, sign and send path as a delivery, like the Test button), and sees the outcome.
/// </summary>
public sealed class EventsModel(EventCatalog catalog, DestinationStore destinations, Delivery.DeliverySender sender, TimeProvider time) : ConsolePage
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public IReadOnlyList<EventType> Types { get; private set; } = [];
    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct)
    {
        Types = (await catalog.AllAsync(ct)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        Destinations = (await destinations.ListAsync(ProjectId, null, null, Cursor.MaxLimit, ct)).Data;
    }

    public async Task<IActionResult> OnPostSendAsync(string? type, string? destination, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        var eventType = type is null ? null : await catalog.FindAsync(type, ct);
        var d = Guid.TryParse(destination, out _) ? await destinations.GetAsync(ProjectId, destination!, ct) : null;
        if (eventType is null || d is null) return NotFound();
        var data = Example(eventType) as JsonObject ?? new JsonObject { ["value"] = Example(eventType) };
        var message = new Message("evt_example_" + Ids.RandomBase32(16), eventType.Name, $"Example: {eventType.Name}",
            MessageFactory.DefaultBody(data), data, time.GetUtcNow(), []);
        var result = await sender.SendAsync(d, message, ct);
        Flash($"Example {eventType.Name} to {d.Name}: {result.Outcome}", result.Delivered ? "ok" : "error");
        return SeeOther();
    }

    public string ExampleOf(EventType t) => Example(t)?.ToJsonString(Indented) ?? "{}";

    private static JsonNode? Example(EventType t) => SchemaExample.From(t.Schema);

    public static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
