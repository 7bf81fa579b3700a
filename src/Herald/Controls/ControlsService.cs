using System.Data.Common;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Errors;

namespace Herald.Controls;

/// <summary>
/// The one place delivery controls are checked and saved, whichever route family sets them. Checking adds each problem to the
/// caller's <see cref="Validation"/> under the path of the field that was sent (e.g. <c>filter.data.amount.$gtee</c>), so a
/// destination and its controls are refused together and nothing is stored.
/// </summary>
public sealed class ControlsService(ControlsStore store, TimeProvider time)
{
    /// <summary>
    /// The controls a destination will have after <paramref name="change"/> (null: none at all, or nothing to write when there
    /// is no change). Problems go to <paramref name="v"/>.
    /// </summary>
    public DestinationControls? Check(Validation v, string kind, string destinationId, string projectId, ControlsChange? change,
        DestinationControls? current)
    {
        if (change is null || !change.Any) return null;
        var f = change.Fields;
        var next = current ?? new DestinationControls { DestinationId = destinationId, ProjectId = projectId };
        if (change.Filter.IsSet) next = next with { Filter = CheckFilter(v, f.Filter, change.Filter.Value) };
        return next with { UpdatedAt = time.NowMs() };
    }

    private static string? CheckFilter(Validation v, string field, JsonObject? filter)
    {
        if (filter is null || filter.Count == 0) return null;
        var (parsed, errors) = EventFilter.Parse(filter, field);
        foreach (var (path, message) in errors) v.Add(path, message);
        return parsed?.Json;
    }

    public Task SaveAsync(DestinationControls controls, CancellationToken ct, DbConnection? connection = null, DbTransaction? tx = null) =>
        store.SaveAsync(controls, ct, connection, tx);

    public Task<DestinationControls?> GetAsync(string destinationId, CancellationToken ct) => store.GetAsync(destinationId, ct);

    public Task<Dictionary<string, DestinationControls>> GetManyAsync(IReadOnlyCollection<string> ids, CancellationToken ct) =>
        store.GetManyAsync(ids, ct);
}
