using System.Collections.Concurrent;
using System.Threading.Channels;
using Herald.Destinations;
using Herald.Events;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Delivery;

/// <summary>
/// This node's delivery capacity, shared by the dispatcher and the event writer: a lane per destination, what is in hand
/// (leased here, outcome not yet recorded), and fresh deliveries that the writer leased to this node in the same
/// transaction that stored them. Those are handed over in memory, so the dispatcher need not claim them back from the
/// store; their lease is the durable record, and if this node dies another claims them when it expires.
/// <para>
/// Isolation: each lane has an adaptive concurrency limit (it starts at 1, grows by one per success up to
/// PerDestinationConcurrency, and halves on each failed or timed-out attempt down to 1), and what a lane may hold in hand
/// follows that limit (a failing lane holds only what it may send), so
/// a destination that hangs or fails holds a few deliveries and a few connections, never the node's capacity. A lane whose
/// circuit is open (learned from the store) holds nothing: its queued work is handed back, deferred to the cool-down's end.
/// </para>
/// </summary>
public sealed class DispatchLanes
{
    private readonly DeliveryOptions _options;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new();
    private readonly Channel<HandedDelivery> _handed = Channel.CreateUnbounded<HandedDelivery>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, long> _erasedBefore = new();
    private int _inHand;
    private volatile bool _accepting;

    public DispatchLanes(IOptions<HeraldOptions> options)
    {
        _options = options.Value.Delivery;
        // A per-process suffix, so a restarted node never mistakes a dead process's leases for its own.
        NodeId = (string.IsNullOrWhiteSpace(_options.NodeId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : _options.NodeId!)
            + "-" + Common.Ids.RandomBase32(6);
    }

    public string NodeId { get; }

    /// <summary>Delivery ids leased to this node and not yet recorded: their leases are renewed.</summary>
    public ConcurrentDictionary<string, byte> InHandIds { get; } = new();

    public ChannelReader<HandedDelivery> Handed => _handed.Reader;

    public int InHand => Volatile.Read(ref _inHand);

    public int MaxInHand => _options.MaxConcurrency * 4;

    /// <summary>Set by the running dispatcher; while false (worker off, or stopping) the writer leases nothing here.</summary>
    public void Accept(bool accepting) => _accepting = accepting;

    public bool Accepting => _accepting;

    public Lane For(string destinationId) => _lanes.GetOrAdd(destinationId, _ => new Lane(_options.PerDestinationConcurrency));

    /// <summary>How many more deliveries of a destination this node may take in hand now.</summary>
    public int Headroom(string destinationId) => _lanes.TryGetValue(destinationId, out var lane) ? lane.Headroom : Lane.InHandPerSlot;

    public int Room => MaxInHand - InHand;

    /// <summary>Counts a claimed delivery in hand.</summary>
    public void Take(ClaimedDelivery delivery)
    {
        InHandIds.TryAdd(delivery.Id, 0);
        Interlocked.Increment(ref For(delivery.DestinationId).Queued);
        Interlocked.Increment(ref _inHand);
    }

    /// <summary>For the writer: reserves room for one fresh delivery of this destination, or says there is none.</summary>
    public bool TryReserve(string destinationId)
    {
        if (!_accepting) return false;
        var lane = For(destinationId);
        if (Interlocked.Increment(ref _inHand) > MaxInHand)
        {
            Interlocked.Decrement(ref _inHand);
            return false;
        }
        if (!lane.TryReserve())
        {
            Interlocked.Decrement(ref _inHand);
            return false;
        }
        return true;
    }

    /// <summary>Gives back a reservation whose transaction did not commit.</summary>
    public void Unreserve(string destinationId)
    {
        Interlocked.Decrement(ref For(destinationId).Queued);
        Interlocked.Decrement(ref _inHand);
    }

    /// <summary>Hands reserved, committed deliveries to the dispatcher.</summary>
    public void Hand(IEnumerable<HandedDelivery> deliveries)
    {
        foreach (var d in deliveries)
        {
            InHandIds.TryAdd(d.Delivery.Id, 0);
            _handed.Writer.TryWrite(d);
        }
    }

    /// <summary>The outcome is recorded (or the lease given up): the delivery no longer counts in hand.</summary>
    public void Release(ClaimedDelivery delivery)
    {
        InHandIds.TryRemove(delivery.Id, out _);
        if (_lanes.TryGetValue(delivery.DestinationId, out var lane)) Interlocked.Decrement(ref lane.Queued);
        Interlocked.Decrement(ref _inHand);
    }

    /// <summary>Applies circuit states read from the store to this node's lanes.</summary>
    public void Observe(IEnumerable<CircuitView> circuits)
    {
        foreach (var c in circuits)
            if (_lanes.TryGetValue(c.DestinationId, out var lane))
                lane.CircuitOpenUntil = c.State == CircuitStates.Open ? c.ReopensAt : null;
    }

    /// <summary>
    /// A project's data was erased up to <paramref name="createdBefore"/> (event creation time): deliveries of its events from
    /// before then are no longer sent by this node, and sends in flight for it are cancelled.
    /// </summary>
    public void Erase(string projectId, long createdBefore)
    {
        _erasedBefore.AddOrUpdate(projectId, createdBefore, (_, was) => Math.Max(was, createdBefore));
        foreach (var lane in _lanes.Values) lane.CancelProject(projectId);
    }

    public bool IsErased(string projectId, long eventCreatedAt) =>
        _erasedBefore.TryGetValue(projectId, out var before) && eventCreatedAt <= before;

    public sealed class Lane(int maxConcurrency)
    {
        /// <summary>A lane may hold this many deliveries in hand per delivery it may have in flight.</summary>
        public const int InHandPerSlot = 4;

        /// <summary>In hand for this destination: queued, being sent, or sent with the outcome not yet written.</summary>
        public int Queued;
        public readonly ConcurrentQueue<Work> Pending = new();
        private int _runners;
        private int _limit = 1; // slow start: a destination earns its concurrency, one more per success
        private int _failures;
        private readonly ConcurrentDictionary<CancellationTokenSource, string> _inFlight = new();

        /// <summary>How many deliveries may be in flight now: adaptive, between 1 and PerDestinationConcurrency.</summary>
        public int Limit => Volatile.Read(ref _limit);

        /// <summary>Attempts failed in a row on this node; a failing lane sends from the small shared pool, not the main one.</summary>
        public bool Degraded => Volatile.Read(ref _failures) > 0;

        /// <summary>Set while the destination's circuit is open (store clock, ms): nothing is sent or taken in hand.</summary>
        public long? CircuitOpenUntil { get; set; }

        /// <summary>The claim decides on circuits from the store (closed: this headroom; open and due: one probe).</summary>
        public int Headroom => Limit * SlotDepth - Volatile.Read(ref Queued);

        /// <summary>A failing lane holds no more than it may send; a healthy one keeps a few queued per slot.</summary>
        private int SlotDepth => Degraded ? 1 : InHandPerSlot;

        public bool TryReserve()
        {
            if (CircuitOpenUntil is not null) return false;
            if (Interlocked.Increment(ref Queued) <= Limit * SlotDepth) return true;
            Interlocked.Decrement(ref Queued);
            return false;
        }

        /// <summary>A success: the limit grows by one (additive increase).</summary>
        public void Succeeded()
        {
            Volatile.Write(ref _failures, 0);
            int current;
            do current = Volatile.Read(ref _limit);
            while (current < maxConcurrency && Interlocked.CompareExchange(ref _limit, current + 1, current) != current);
        }

        /// <summary>A failure or time-out at the destination: the limit halves (multiplicative decrease), down to 1.</summary>
        public void Failed()
        {
            Interlocked.Increment(ref _failures);
            int current;
            do current = Volatile.Read(ref _limit);
            while (current > 1 && Interlocked.CompareExchange(ref _limit, Math.Max(1, current / 2), current) != current);
        }

        /// <summary>True when the caller may start one more runner (the lane has fewer than its limit).</summary>
        public bool TryAddRunner()
        {
            if (Interlocked.Increment(ref _runners) <= Limit) return true;
            Interlocked.Decrement(ref _runners);
            return false;
        }

        /// <summary>
        /// A runner finished a send: it goes on while there is work and the lane is within its limit; otherwise it stops,
        /// unless work arrived meanwhile and it may take it.
        /// </summary>
        public bool TryKeepRunner()
        {
            Interlocked.Decrement(ref _runners);
            return !Pending.IsEmpty && TryAddRunner();
        }

        /// <summary>A runner above a shrunk limit stops after its current send.</summary>
        public bool OverLimit => Volatile.Read(ref _runners) > Limit;

        /// <summary>Registers a send in flight, so an erasure of its project can cancel it.</summary>
        public CancellationTokenSource Track(string projectId, CancellationToken ct)
        {
            var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _inFlight[cts] = projectId;
            return cts;
        }

        public void Untrack(CancellationTokenSource cts)
        {
            _inFlight.TryRemove(cts, out _);
            cts.Dispose();
        }

        public void CancelProject(string projectId)
        {
            foreach (var (cts, project) in _inFlight)
                if (project == projectId)
                    try { cts.Cancel(); } catch (ObjectDisposedException) { }
        }
    }

    public sealed record Work(ClaimedDelivery Delivery, Connectors.Message? Message, DestinationRecord? Destination);
}

/// <summary>A delivery the event writer stored already leased to this node, with what sending it needs.</summary>
public sealed record HandedDelivery(ClaimedDelivery Delivery, EventRecord Event, DestinationRecord Destination);
