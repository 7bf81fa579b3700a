using Herald.Common;
using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

/// <summary>
/// One destination of any kind: its settings (name, URL, events, categories, and for custom webhooks method and headers, status),
/// changed through <see cref="DestinationService.UpdateAsync"/> with the API's checks and messages; test and delete. Members read.
/// </summary>
public sealed class DestinationModel(DestinationStore store, DestinationService destinations, DestinationTester tester,
    Destinations.Kinds.DestinationKindRegistry kinds)
    : DestinationsPage(store, destinations, tester)
{
    /// <summary>The destination's kind (how the catalog names it, whether it takes a method and headers).</summary>
    public Destinations.Kinds.DestinationKind Kind => kinds.Get(Destination!.Kind);

    public DestinationRecord? Destination { get; private set; }
    public string? Name { get; private set; }
    public string? NewUrl { get; private set; }
    public string? Events { get; private set; }
    public string? Categories { get; private set; }
    public string? Method { get; private set; }
    public string? Headers { get; private set; }
    public bool ClearHeaders { get; private set; }
    public string? Status { get; private set; }
    public IReadOnlyList<string> HeaderNames { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken ct)
    {
        if (await Find(id, ct) is not { } d) return NotFound();
        Show(d);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string id, string? name, string? url, string? events, string? categories, string? method,
        string? headers, bool clearHeaders, string? status, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var webhook = kinds.Get(d.Kind).TakesHttpOptions;
        var parsed = webhook && !clearHeaders && !string.IsNullOrWhiteSpace(headers) ? ParseHeaders(headers) : null;
        var change = new DestinationChange
        {
            Name = name ?? "",
            Url = string.IsNullOrWhiteSpace(url) ? null : url,
            Events = SplitList(events) ?? ["*"],
            Categories = new Optional<IReadOnlyList<string>?>(true, SplitList(categories)),
            Method = webhook && !string.IsNullOrWhiteSpace(method) ? method : null,
            Headers = clearHeaders ? new Optional<IReadOnlyDictionary<string, string>?>(true, null)
                : parsed is not null ? new Optional<IReadOnlyDictionary<string, string>?>(true, parsed) : default,
            Status = status,
        };
        var (updated, problem) = ModelState.IsValid ? await Service.UpdateAsync(d, change, ct) : (null, null);
        if (updated is null)
        {
            if (problem is not null) ShowProblem(problem);
            Show(d);
            (Name, NewUrl, Events, Categories, Method, Headers, ClearHeaders, Status) = (name, url, events, categories, method, headers, clearHeaders, status);
            return Page();
        }
        Flash($"Saved {updated.Name}.");
        return SeeOther(values: new { id });
    }

    private void Show(DestinationRecord d)
    {
        Destination = d;
        (Name, Events, Method, Status) = (d.Name, string.Join(", ", DestinationService.EventsOf(d)), d.HttpMethod, d.Status);
        Categories = DestinationService.CategoriesOf(d) is { } c ? string.Join(", ", c) : "";
        HeaderNames = Service.OpenHeaders(d).Keys.Order(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>"Name: value" per line; a line without a colon is refused as the API refuses a malformed header.</summary>
    private Dictionary<string, string>? ParseHeaders(string text)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) { ModelState.AddModelError("headers", $"'{line.Trim()}' is not 'Name: value'."); continue; }
            parsed[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return parsed;
    }
}
