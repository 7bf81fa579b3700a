using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class DeliveriesModel(DeliveryStore deliveries, DeliveryLog log, DestinationStore destinations, DeliverySignal signal, TimeProvider time)
    : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Destination { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Event { get; set; }
    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];
    public Dictionary<string, string> Names { get; private set; } = [];
    public IReadOnlyList<DeliveryRecord> Deliveries { get; private set; } = [];
    public string? NextCursor { get; private set; }
    public ILookup<string, AttemptRecord> Attempts { get; private set; } = Array.Empty<AttemptRecord>().ToLookup(a => a.DeliveryId);
    public IReadOnlyList<HourBar> Hours { get; private set; } = [];
    public string ChartSummary { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        Destinations = (await destinations.ListAsync(ProjectId, null, null, Common.Cursor.MaxLimit, ct)).Data;
        Names = Destinations.ToDictionary(d => d.Id, d => d.Name);
        var status = Status is DeliveryStatuses.Pending or DeliveryStatuses.Delivered or DeliveryStatuses.Failed ? Status : null;
        var destination = Destination is { Length: > 0 } && Guid.TryParse(Destination, out _) ? Destination : null;
        var eventId = string.IsNullOrWhiteSpace(Event) ? null : Event.Trim();
        var page = await log.PageAsync(ProjectId, destination, status, eventId, Common.Cursor.TryDecode(Cursor, out _, out _) ? Cursor : null, ct);
        (Deliveries, NextCursor) = (page.Data, page.NextCursor);
        Attempts = await deliveries.AttemptsForAsync(Deliveries.Select(d => d.Id).ToList(), ct);

        var hourMs = 3_600_000L;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var first = (now / hourMs - 23) * hourMs;
        var counts = (await log.HourlyAsync(ProjectId, destination, first, ct)).ToDictionary(h => h.Hour);
        Hours = Enumerable.Range(0, 24).Select(i =>
        {
            var hour = first + i * hourMs;
            var (_, delivered, failed) = counts.GetValueOrDefault(hour);
            return new HourBar(Clock.FromMs(hour).ToString("HH:00"), delivered, failed);
        }).ToList();
        var of = destination is not null && Names.TryGetValue(destination, out var name) ? $" to {name}" : "";
        ChartSummary = $"{Hours.Sum(h => h.Delivered)} delivered and {Hours.Sum(h => h.Failed)} failed attempts{of} in the last 24 hours";
    }

    public async Task<IActionResult> OnPostRetryAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (!Ids.IsWellFormed(id, "dlv") || !await deliveries.RetryAsync(ProjectId, id, ct)) return NotFound();
        signal.Notify();
        Flash("The delivery is queued for another try.");
        return SeeOther(values: Filter(Cursor));
    }

    /// <summary>The current filter as route values (empty ones left out), for paging links and the redirect after Retry.</summary>
    public Dictionary<string, string> Filter(string? cursor)
    {
        var values = new Dictionary<string, string>();
        if (!string.IsNullOrEmpty(Destination)) values["destination"] = Destination;
        if (!string.IsNullOrEmpty(Status)) values["status"] = Status;
        if (!string.IsNullOrEmpty(Event)) values["event"] = Event;
        if (!string.IsNullOrEmpty(cursor)) values["cursor"] = cursor;
        return values;
    }

    public sealed record HourBar(string Label, long Delivered, long Failed);
}
