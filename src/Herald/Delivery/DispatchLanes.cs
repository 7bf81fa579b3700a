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
/// </summary>
public sealed class DispatchLanes
{
    private readonly DeliveryOptions _options;
    private readonly ConcurrentDictionary<string, Lane> _lanes = new();
    private readonly Channel<HandedDelivery> _handed = Channel.CreateUnbounded<HandedDelivery>(new UnboundedChannelOptions { SingleReader = true });
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
    private int MaxInHandPerDestination => _options.PerDestinationConcurrency * 4;

    /// <summary>Set by the running dispatcher; while false (worker off, or stopping) the writer leases nothing here.</summary>
    public void Accept(bool accepting) => _accepting = accepting;

    public Lane For(string destinationId) => _lanes.GetOrAdd(destinationId, _ => new Lane(_options.PerDestinationConcurrency));

    /// <summary>How many more deliveries of a destination this node may take in hand now.</summary>
    public int Headroom(string destinationId) =>
        MaxInHandPerDestination - (_lanes.TryGetValue(destinationId, out var lane) ? Volatile.Read(ref lane.Queued) : 0);

    public int Room => MaxInHand - InHand;

    public IReadOnlyCollection<string> Busy() =>
        _lanes.Where(l => Volatile.Read(ref l.Value.Queued) >= MaxInHandPerDestination).Select(l => l.Key).ToList();

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
        if (Interlocked.Increment(ref lane.Queued) > MaxInHandPerDestination)
        {
            Interlocked.Decrement(ref lane.Queued);
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

    public sealed class Lane(int concurrency)
    {
        /// <summary>In hand for this destination: queued, being sent, or sent with the outcome not yet written.</summary>
        public int Queued;
        public readonly ConcurrentQueue<Work> Pending = new();
        private int _runners;

        /// <summary>True when the caller may start one more runner (the lane has fewer than its concurrency).</summary>
        public bool TryAddRunner()
        {
            if (Interlocked.Increment(ref _runners) <= concurrency) return true;
            Interlocked.Decrement(ref _runners);
            return false;
        }

        /// <summary>A runner found the queue empty: it stops, unless work arrived meanwhile and it may take it.</summary>
        public bool TryKeepRunner()
        {
            Interlocked.Decrement(ref _runners);
            return !Pending.IsEmpty && TryAddRunner();
        }
    }

    public sealed record Work(ClaimedDelivery Delivery, Connectors.Message? Message, DestinationRecord? Destination);
}

/// <summary>A delivery the event writer stored already leased to this node, with what sending it needs.</summary>
public sealed record HandedDelivery(ClaimedDelivery Delivery, EventRecord Event, DestinationRecord Destination);
