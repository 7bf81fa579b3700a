using Herald.Destinations;
using Microsoft.AspNetCore.Mvc;

namespace Herald.WebConsole;

/// <summary>Test, disable/enable and delete, shared by the connectors and webhooks pages; each answers 303 back to the page.</summary>
public abstract class DestinationsPage(DestinationStore store, DestinationService destinations, DestinationTester tester) : ConsolePage
{
    protected DestinationStore Store => store;
    protected DestinationService Service => destinations;

    public async Task<IActionResult> OnPostTestAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var result = await tester.TestAsync(d, ct);
        Flash($"Test of {d.Name}: {result.Status}", result.Ok ? "ok" : "error");
        return SeeOther();
    }

    public async Task<IActionResult> OnPostToggleAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        var status = d.Status == DestinationStatuses.Active ? DestinationStatuses.Disabled : DestinationStatuses.Active;
        await destinations.UpdateAsync(d, new DestinationChange { Status = status }, ct);
        Flash($"{d.Name} is now {status}.");
        return SeeOther();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken ct)
    {
        if (RefuseMember() is { } refused) return refused;
        if (await Find(id, ct) is not { } d) return NotFound();
        await store.DeleteAsync(ProjectId, d.Id, ct);
        Flash($"Deleted {d.Name}.");
        return SeeOther();
    }

    protected async Task<DestinationRecord?> Find(string? id, CancellationToken ct) =>
        Guid.TryParse(id, out _) ? await store.GetAsync(ProjectId, id!, ct) : null;
}
