using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole.Pages;

public sealed class ConnectorsModel(DestinationStore store, DestinationService destinations, DestinationTester tester) : ConsolePage
{
    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Destinations = (await store.ListAsync(ProjectId, null, null, Common.Cursor.MaxLimit, ct)).Data;

    public async Task<IActionResult> OnPostTestAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var result = await tester.TestAsync(d, ct);
        Flash($"Test of {d.Name}: {result.Status}", result.Ok ? "ok" : "error");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostToggleAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var status = d.Status == DestinationStatuses.Active ? DestinationStatuses.Disabled : DestinationStatuses.Active;
        await destinations.UpdateAsync(d, new DestinationChange { Status = status }, ct);
        Flash($"{d.Name} is now {status}.");
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        await store.DeleteAsync(ProjectId, d.Id, ct);
        Flash($"Deleted {d.Name}.");
        return RedirectToPage();
    }

    private async Task<DestinationRecord?> Find(string id, CancellationToken ct) =>
        Guid.TryParse(id, out _) ? await store.GetAsync(ProjectId, id, ct) : null;
}
