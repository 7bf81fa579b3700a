using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Controls;
using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;

namespace Herald.WebConsole.Pages;

public sealed class ConnectorsModel(DestinationStore store, DestinationService destinations, DestinationTester tester,
    Destinations.Kinds.DestinationKindRegistry kinds, ControlsService controls)
    : DestinationsPage(store, destinations, tester)
{
    public Destinations.Kinds.DestinationKindRegistry Kinds => kinds;

    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];
    public IReadOnlyDictionary<string, DestinationControls> Controls { get; private set; } = new Dictionary<string, DestinationControls>();

    /// <summary>The controls form that was posted and refused: shown open, with what was entered and the errors.</summary>
    public ControlsForm? Posted { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Destinations = (await Store.ListAsync(ProjectId, null, null, Common.Cursor.MaxLimit, ct)).Data;
        Controls = await controls.GetManyAsync(Destinations.Select(d => d.Id).ToList(), ct);
    }

    public ControlsForm FormFor(DestinationRecord d) =>
        Posted is { } posted && posted.Destination.Id == d.Id ? posted : ControlsForm.From(d, Controls.GetValueOrDefault(d.Id), ModelState);

    /// <summary>Saves every control at once (an empty field returns it to Herald's default).</summary>
    public async Task<IActionResult> OnPostControlsAsync(string id, string? filter, string? retry_schedule, string? timeout, string? rate, string? per,
        bool fifo, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var form = new ControlsForm(d, filter, retry_schedule, timeout, rate, per, fifo, true, ModelState);
        JsonObject? filterJson = null;
        if (!string.IsNullOrWhiteSpace(filter))
        {
            try { filterJson = JsonNode.Parse(filter) as JsonObject; }
            catch (JsonException) { }
            if (filterJson is null) ModelState.AddModelError("filter", "must be a JSON object, such as {\"data.amount\": {\"$gte\": 100}}.");
        }
        JsonElement? timeoutJson = null;
        if (!string.IsNullOrWhiteSpace(timeout))
            timeoutJson = double.TryParse(timeout, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                ? JsonSerializer.SerializeToElement(seconds) : JsonSerializer.SerializeToElement(timeout.Trim());
        RateLimitInput? rateLimit = null;
        if (!string.IsNullOrWhiteSpace(rate))
        {
            if (int.TryParse(rate, out var n)) rateLimit = per == "minute" ? new RateLimitInput(null, n) : new RateLimitInput(n, null);
            else ModelState.AddModelError("rate_limit", "must be a whole number of sends.");
        }
        if (ModelState.IsValid)
        {
            var (_, problem) = await Service.UpdateAsync(d, new DestinationChange
            {
                Controls = new ControlsChange
                {
                    Filter = new(true, filterJson),
                    RetrySchedule = new(true, string.IsNullOrWhiteSpace(retry_schedule) ? null : retry_schedule),
                    Timeout = new(true, timeoutJson),
                    RateLimit = new(true, rateLimit),
                    Ordering = new(true, fifo ? Orderings.Fifo : null),
                },
            }, ct);
            if (problem is null)
            {
                Flash($"Saved the delivery controls of {d.Name}.");
                return SeeOther();
            }
            ShowProblem(problem);
        }
        await OnGetAsync(ct);
        Posted = form;
        return Page();
    }
}

/// <summary>What the controls form of one destination shows.</summary>
public sealed record ControlsForm(DestinationRecord Destination, string? Filter, string? RetrySchedule, string? Timeout, string? Rate, string? Per,
    bool Fifo, bool Open, ModelStateDictionary? State)
{
    public static ControlsForm From(DestinationRecord d, DestinationControls? c, ModelStateDictionary state) => new(d,
        c?.Filter is { } filter ? JsonNode.Parse(filter)!.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) : null,
        c?.RetrySchedule,
        c?.TimeoutMs is { } ms ? (ms / 1000.0).ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        c?.RateLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture), c?.RatePeriodMs == 60_000 ? "minute" : "second",
        c?.IsFifo == true, false, null);

    /// <summary>Errors of a posted form for a field and the paths under it (e.g. filter.data.amount.$gtee).</summary>
    public IEnumerable<string> Errors(string field) => State is null
        ? []
        : State.Where(e => e.Key == field || e.Key.StartsWith(field + ".", StringComparison.Ordinal))
            .SelectMany(e => e.Value!.Errors.Select(x => e.Key == field ? x.ErrorMessage : $"{e.Key}: {x.ErrorMessage}"));
}
