using Herald.Common;
using Herald.Delivery;
using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class DeliveriesModel(DeliveryStore deliveries, DestinationStore destinations, DeliverySignal signal, TimeProvider time) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Destination { get; set; }
    [BindProperty(SupportsGet = true)] public string? Status { get; set; }
    [BindProperty(SupportsGet = true)] public string? Event { get; set; }

    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];
    public Dictionary<string, string> Names { get; private set; } = [];
    public IReadOnlyList<DeliveryRecord> Deliveries { get; private set; } = [];
    public ILookup<string, AttemptRecord> Attempts { get; private set; } = Array.Empty<AttemptRecord>().ToLookup(a => a.DeliveryId);
    public IReadOnlyList<HourBar> Hours { get; private set; } = [];
    public string ChartSummary { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        Destinations = (await destinations.ListAsync(ProjectId, null, null, Cursor.MaxLimit, ct)).Data;
        Names = Destinations.ToDictionary(d => d.Id, d => d.Name);
        var status = Status is DeliveryStatuses.Pending or DeliveryStatuses.Delivered or DeliveryStatuses.Failed ? Status : null;
        var destination = Destination is { Length: > 0 } && Guid.TryParse(Destination, out _) ? Destination : null;
        var eventId = string.IsNullOrWhiteSpace(Event) ? null : Event.Trim();
        Deliveries = await deliveries.ForProjectAsync(ProjectId, destination, status, eventId, 100, ct);
        Attempts = await deliveries.AttemptsForAsync(Deliveries.Select(d => d.Id).ToList(), ct);

        var hourMs = 3_600_000L;
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var first = (now / hourMs - 23) * hourMs;
        var counts = (await deliveries.HourlyAsync(ProjectId, first, ct)).ToDictionary(h => h.Hour);
        Hours = Enumerable.Range(0, 24).Select(i =>
        {
            var hour = first + i * hourMs;
            var (_, delivered, failed) = counts.GetValueOrDefault(hour);
            return new HourBar(Clock.FromMs(hour).ToString("HH:00"), delivered, failed);
        }).ToList();
        ChartSummary = $"{Hours.Sum(h => h.Delivered)} delivered and {Hours.Sum(h => h.Failed)} failed attempts in the last 24 hours";
    }

    public async Task<IActionResult> OnPostRetryAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (!Ids.IsWellFormed(id, "dlv") || !await deliveries.RetryAsync(ProjectId, id, ct)) return NotFound();
        signal.Notify();
        Flash("The delivery is queued for another try.");
        return RedirectToPage(new { Destination, Status, Event });
    }

    public sealed record HourBar(string Label, long Delivered, long Failed);
}
