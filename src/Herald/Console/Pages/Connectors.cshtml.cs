using Herald.Destinations;

namespace Herald.WebConsole.Pages;

public sealed class ConnectorsModel(DestinationStore store, DestinationService destinations, DestinationTester tester,
    Destinations.Kinds.DestinationKindRegistry kinds)
    : DestinationsPage(store, destinations, tester)
{
    public Destinations.Kinds.DestinationKindRegistry Kinds => kinds;

    public IReadOnlyList<DestinationRecord> Destinations { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken ct) =>
        Destinations = (await Store.ListAsync(ProjectId, null, null, Common.Cursor.MaxLimit, ct)).Data;
}
