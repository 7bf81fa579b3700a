using System.Text;
using System.Text.Json;
using Herald.Common;
using Herald.Connectors;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Events;
using Herald.Options;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Herald.WebConsole.Pages;

/// <summary>
/// The attempt inspector: one delivery, the request Herald sends for it (headers without secrets, the body), every attempt with
/// its outcome, status and the stored start of the response body, and the event. Retry from here.
/// </summary>
public sealed class DeliveryModel(DeliveryStore deliveries, DestinationStore destinations, EventStore events, DestinationService service,
    DeliverySignal signal, IOptions<HeraldOptions> options, Destinations.Kinds.DestinationKindRegistry kinds) : ConsolePage
{
    public DeliveryRecord? Delivery { get; private set; }
    public DestinationRecord? Destination { get; private set; }
    public EventRecord? Event { get; private set; }
    public string? EventData { get; private set; }
    public IReadOnlyList<AttemptRecord> Attempts { get; private set; } = [];
    public (string Head, string Body)? SentRequest { get; private set; }
    public int MaxBodyKiB => Math.Max(1, options.Value.Delivery.MaxResponseBodyBytes / 1024);

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        Delivery = Ids.IsWellFormed(id, "dlv") ? await deliveries.GetAsync(ProjectId, id, ct) : null;
        if (Delivery is null) return NotFound();
        Attempts = await deliveries.AttemptsAsync(id, ct);
        Destination = await destinations.GetAsync(ProjectId, Delivery.DestinationId, ct);
        Event = await events.GetAsync(ProjectId, Delivery.EventId, ct);
        if (Event is not null) EventData = Pretty(Encoding.UTF8.GetBytes(Event.Data));
        if (Event is not null && Destination is not null) SentRequest = Describe(Destination, MessageFactory.From(Event));
        return Page();
    }

    public async Task<IActionResult> OnPostRetryAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (!Ids.IsWellFormed(id, "dlv") || !await deliveries.RetryAsync(ProjectId, id, ct)) return NotFound();
        signal.Notify();
        Flash("The delivery is queued for another try.");
        return SeeOther(values: new { id });
    }

    /// <summary>The request line and headers as the sender builds them, secrets withheld, and the rendered body.</summary>
    private (string Head, string Body) Describe(DestinationRecord d, Message message)
    {
        var payload = message.RenderFor(kinds.Get(d.Kind), d);
        var head = new StringBuilder();
        head.Append(d.HttpMethod).Append(' ').Append(d.DestinationHost).AppendLine("/…  (the full URL is sealed: only its host is shown)");
        head.Append("Content-Type: ").Append(payload.ContentType).AppendLine("; charset=utf-8");
        head.AppendLine("User-Agent: Herald/1.0");
        foreach (var name in service.OpenHeaders(d).Keys.Order(StringComparer.OrdinalIgnoreCase)) head.Append(name).AppendLine(": (secret, withheld)");
        if (d.SigningSecretSealed is not null)
        {
            head.Append("webhook-id: ").AppendLine(message.EventId);
            head.AppendLine("webhook-timestamp: (the time of each attempt)");
            head.AppendLine("webhook-signature: (made from the signing secret, withheld)");
            head.Append(Signer.HexHeader).AppendLine(": (made from the signing secret, withheld)");
        }
        return (head.ToString(), Pretty(payload.Body));
    }

    private static string Pretty(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(document.RootElement, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(json);
        }
    }
}
