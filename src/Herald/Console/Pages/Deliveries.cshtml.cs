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
    [BindProperty(SupportsGet = true)] public string? Type { get; set; }
    /// <summary>Created at or after / before, as the datetime-local inputs send it (UTC), e.g. 2026-11-30T08:00.</summary>
    [BindProperty(SupportsGet = true)] public string? From { get; set; }
    [BindProperty(SupportsGet = true)] public string? To { get; set; }

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
        var eventType = string.IsNullOrWhiteSpace(Type) ? null : Type.Trim();
        if (From is { Length: > 0 } && ParseUtc(From) is null) ModelState.AddModelError("from", "must be a date and time such as 2026-11-30T08:00 (UTC).");
        if (To is { Length: > 0 } && ParseUtc(To) is null) ModelState.AddModelError("to", "must be a date and time such as 2026-11-30T09:00 (UTC).");
        var page = await log.PageAsync(ProjectId, destination, status, eventId, Common.Cursor.TryDecode(Cursor, out _, out _) ? Cursor : null, ct,
            eventType, ParseUtc(From), ParseUtc(To));
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

    /// <summary>
    /// Re-queues the failed deliveries created since a time, of one connector or all: the same as POST /v1/destinations/{id}/recover.
    /// </summary>
    public async Task<IActionResult> OnPostRecoverAsync(string? since, string? recoverDestination, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (ParseUtc(since) is not { } from)
        {
            Flash("Recover needs a time: failed deliveries created since then are sent again.", "error");
            return SeeOther(values: Filter(Cursor));
        }
        var all = (await destinations.ListAsync(ProjectId, null, null, Common.Cursor.MaxLimit, ct)).Data;
        var chosen = string.IsNullOrEmpty(recoverDestination) ? all : all.Where(d => d.Id == recoverDestination).ToList();
        if (chosen.Count == 0) return NotFound();
        var count = 0;
        foreach (var d in chosen) count += await deliveries.RecoverAsync(d.Id, from, ct);
        signal.Notify();
        Flash($"Re-queued {count} failed deliver{(count == 1 ? "y" : "ies")} created since {Clock.FromMs(from):yyyy-MM-dd HH:mm} UTC.");
        return SeeOther(values: Filter(Cursor));
    }

    /// <summary>A datetime-local value read as UTC (ms), or null.</summary>
    public static long? ParseUtc(string? value) =>
        DateTime.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? new DateTimeOffset(at, TimeSpan.Zero).ToUnixTimeMilliseconds()
            : null;

    /// <summary>The current filter as route values (empty ones left out), for paging links and the redirect after Retry.</summary>
    public Dictionary<string, string> Filter(string? cursor)
    {
        var values = new Dictionary<string, string>();
        if (!string.IsNullOrEmpty(Destination)) values["destination"] = Destination;
        if (!string.IsNullOrEmpty(Status)) values["status"] = Status;
        if (!string.IsNullOrEmpty(Event)) values["event"] = Event;
        if (!string.IsNullOrEmpty(Type)) values["type"] = Type;
        if (!string.IsNullOrEmpty(From)) values["from"] = From;
        if (!string.IsNullOrEmpty(To)) values["to"] = To;
        if (!string.IsNullOrEmpty(cursor)) values["cursor"] = cursor;
        return values;
    }

    public sealed record HourBar(string Label, long Delivered, long Failed);
}
