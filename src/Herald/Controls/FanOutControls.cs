using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Herald.Events;
using Herald.Storage;

namespace Herald.Controls;

/// <summary>
/// What fan-out needs from the controls, read inside the publish transaction: each destination's payload filter (compiled once
/// per distinct filter and kept) and whether it delivers in FIFO order. A destination a filter turns away gets no delivery row.
/// </summary>
public sealed class FanOutControls(Db db)
{
    private const int MaxCompiled = 10_000;
    private readonly ConcurrentDictionary<string, EventFilter> _compiled = new(StringComparer.Ordinal);

    public async Task<FanOut> LoadAsync(DbConnection connection, DbTransaction tx, object projects)
    {
        var rows = await connection.QueryAsync<(string Id, string? Filter, string? Ordering)>(new CommandDefinition($"""
            SELECT destination_id, filter, ordering FROM destination_controls
            WHERE {db.In("project_id", "projects")} AND (filter IS NOT NULL OR ordering IS NOT NULL)
            """, new { projects }, tx));
        var controls = new Dictionary<string, (EventFilter? Filter, bool Fifo)>(StringComparer.Ordinal);
        foreach (var (id, filter, ordering) in rows)
            controls[id] = (filter is null ? null : Compile(filter), ordering == Orderings.Fifo);
        return new FanOut(controls);
    }

    private EventFilter Compile(string json)
    {
        if (_compiled.TryGetValue(json, out var hit)) return hit;
        if (_compiled.Count >= MaxCompiled) _compiled.Clear();
        return _compiled[json] = EventFilter.FromStored(json);
    }
}

/// <summary>One publish batch's view of the controls; an event is parsed for filtering once, whatever number of filters test it.</summary>
public sealed class FanOut(Dictionary<string, (EventFilter? Filter, bool Fifo)> controls)
{
    private string? _eventId;
    private FilterEvent? _event;

    public static readonly FanOut None = new([]);

    /// <summary>True when the destination has no filter or its filter matches the event.</summary>
    public bool Matches(string destinationId, EventRecord e)
    {
        if (!controls.TryGetValue(destinationId, out var c) || c.Filter is null) return true;
        if (!ReferenceEquals(_eventId, e.Id))
        {
            _event = FilterEvent.FromStored(e.Type, e.Categories, e.OccurredAt, e.Data);
            _eventId = e.Id;
        }
        return c.Filter.Matches(_event!);
    }

    public bool IsFifo(string destinationId) => controls.TryGetValue(destinationId, out var c) && c.Fifo;
}
