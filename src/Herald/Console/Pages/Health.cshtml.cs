using Herald.Common;
using Herald.Destinations;

namespace Herald.WebConsole.Pages;

/// <summary>The project's health, from the store: per destination counts, success rates, durations and backlog, and a 24 h chart.</summary>
public sealed class HealthModel(DestinationStore destinations, HealthView health, DeliveryLog log, TimeProvider time) : ConsolePage
{
    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];
    public Dictionary<string, HealthView.Row> Rows { get; private set; } = [];
    public IReadOnlyList<DeliveriesModel.HourBar> Hours { get; private set; } = [];
    public string ChartSummary { get; private set; } = "";

    public async Task OnGetAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        Destinations = (await destinations.ListAsync(ProjectId, null, null, Cursor.MaxLimit, ct)).Data;
        Rows = await health.ForAsync(Destinations.Select(d => d.Id).ToList(), now, ct);

        var first = (now / HealthView.HourMs - 23) * HealthView.HourMs;
        var counts = (await log.HourlyAsync(ProjectId, null, first, ct)).ToDictionary(h => h.Hour);
        Hours = Enumerable.Range(0, 24).Select(i =>
        {
            var hour = first + i * HealthView.HourMs;
            var (_, delivered, failed) = counts.GetValueOrDefault(hour);
            return new DeliveriesModel.HourBar(Clock.FromMs(hour).ToString("HH:00"), delivered, failed);
        }).ToList();
        ChartSummary = $"{Hours.Sum(h => h.Delivered)} delivered and {Hours.Sum(h => h.Failed)} failed attempts in the last 24 hours";
    }

    public static string Percent(double? rate) => rate is { } r ? $"{r * 100:0.#} %" : "—";

    public static string Ms(int? ms) => ms is { } m ? $"{m} ms" : "—";
}
