using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Herald.Connectors;
using Herald.Destinations;
using Herald.Events;
using Herald.Net;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Delivery;

/// <summary>
/// The dispatcher: leases due deliveries in batches, sends them concurrently (a global limit and a per-destination limit,
/// so one slow destination cannot starve the rest), and writes outcomes back in batches. Leases are renewed while work is
/// in hand; a crashed node's leases expire and another node takes the work over.
/// </summary>
public sealed class DeliveryWorker(
    DeliveryStore store, DispatchLanes lanes, DestinationTester sender, RetrySchedule schedule, DeliverySignal signal, EventPublisher publisher,
    IOptions<HeraldOptions> options, TimeProvider time, ILogger<DeliveryWorker> logger) : BackgroundService
{
    private readonly DeliveryOptions _options = options.Value.Delivery;
    private readonly string _node = lanes.NodeId;
    private readonly Channel<DeliveryOutcome> _outcomes = Channel.CreateUnbounded<DeliveryOutcome>(new UnboundedChannelOptions { SingleReader = true });
    private SemaphoreSlim _global = null!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Worker)
        {
            logger.LogInformation("Delivery worker is off (Herald:Delivery:Worker=false): this node only accepts events.");
            return;
        }
        _global = new SemaphoreSlim(_options.MaxConcurrency);
        logger.LogInformation("Delivery worker {Node} started.", _node);

        var writer = Task.Run(WriteOutcomesAsync, CancellationToken.None);
        var renewer = Task.Run(() => RenewLeasesAsync(stoppingToken), CancellationToken.None);
        var sends = new ConcurrentDictionary<Task, byte>();
        var handed = Task.Run(() => StartHandedAsync(sends, stoppingToken), CancellationToken.None);
        lanes.Accept(true);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wake = signal.Next;
                try
                {
                    if (await ClaimAndStartAsync(sends, stoppingToken) == 0)
                        await DeliverySignal.WaitAsync(wake, _options.PollInterval, stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Claimed work whose start failed keeps its lease until it expires, then is claimed again.
                    logger.LogWarning("Claiming deliveries failed ({Error}); trying again shortly.", e.GetType().Name);
                    await Task.Delay(_options.PollInterval, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        lanes.Accept(false);
        await handed;
        await Task.WhenAll(sends.Keys);
        _outcomes.Writer.TryComplete();
        await writer;
        await renewer;
    }

    /// <summary>Leases a batch and starts its sends; returns how many were claimed.</summary>
    private async Task<int> ClaimAndStartAsync(ConcurrentDictionary<Task, byte> sends, CancellationToken stoppingToken)
    {
        // Claim in batches: lanes free up as outcomes are written, and a claim per freed lane would cost a transaction each.
        var room = Math.Min(_options.BatchSize, lanes.Room);
        if (room <= 0 || (lanes.InHand > 0 && room < Math.Min(_options.BatchSize, lanes.MaxInHand) / 8)) return 0;
        var claimed = await store.ClaimAsync(_node, room, lanes.Busy(), lanes.Headroom, _options.LeaseDuration, stoppingToken);
        if (claimed.Count == 0) return 0;
        foreach (var delivery in claimed) lanes.Take(delivery);

        var (events, destinations) = await store.LoadAsync(
            claimed.Select(c => c.EventId).Distinct().ToList(), claimed.Select(c => c.DestinationId).Distinct().ToList(), stoppingToken);
        var messages = events.Values.ToDictionary(e => e.Id, MessageFactory.From);
        foreach (var delivery in claimed)
            Start(sends, delivery, messages.GetValueOrDefault(delivery.EventId), destinations.GetValueOrDefault(delivery.DestinationId), stoppingToken);
        return claimed.Count;
    }

    /// <summary>Starts the deliveries the event writer leased to this node as it stored them.</summary>
    private async Task StartHandedAsync(ConcurrentDictionary<Task, byte> sends, CancellationToken stoppingToken)
    {
        try
        {
            var messages = new Dictionary<string, Message>();
            while (await lanes.Handed.WaitToReadAsync(stoppingToken))
            {
                // An event fanned out to several destinations is turned into a message once.
                while (lanes.Handed.TryRead(out var d))
                {
                    if (!messages.TryGetValue(d.Event.Id, out var message)) messages[d.Event.Id] = message = MessageFactory.From(d.Event);
                    Start(sends, d.Delivery, message, d.Destination, stoppingToken);
                }
                messages.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Handed over too late to start: release them; their leases expire and they are claimed again.
        while (lanes.Handed.TryRead(out var left)) lanes.Release(left.Delivery);
    }

    /// <summary>Queues a delivery on its destination's lane and starts a runner for the lane if it has fewer than its limit.</summary>
    private void Start(ConcurrentDictionary<Task, byte> sends, ClaimedDelivery delivery, Message? e, DestinationRecord? destination,
        CancellationToken stoppingToken)
    {
        var lane = lanes.For(delivery.DestinationId);
        lane.Pending.Enqueue(new DispatchLanes.Work(delivery, e, destination));
        if (!lane.TryAddRunner()) return;
        var runner = RunLaneAsync(lane, stoppingToken);
        sends.TryAdd(runner, 0);
        _ = runner.ContinueWith(t => sends.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// Sends a lane's queued deliveries one after another; a lane has at most PerDestinationConcurrency runners. A runner
    /// goes on to the next delivery as soon as one is sent, without a hand-off through a semaphore.
    /// </summary>
    private async Task RunLaneAsync(DispatchLanes.Lane lane, CancellationToken ct)
    {
        await Task.Yield(); // off the claimer's stack
        do
        {
            while (lane.Pending.TryDequeue(out var work)) await SendOneAsync(work.Delivery, work.Message, work.Destination, ct);
        }
        while (lane.TryKeepRunner());
    }

    private async Task SendOneAsync(ClaimedDelivery delivery, Message? e, DestinationRecord? destination, CancellationToken ct)
    {
        try
        {
            await _global.WaitAsync(ct);
            try
            {
                await _outcomes.Writer.WriteAsync(await AttemptAsync(delivery, e, destination, ct), CancellationToken.None);
            }
            finally
            {
                _global.Release();
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the lease expires and this or another node sends it later.
            lanes.Release(delivery);
        }
        catch (Exception ex)
        {
            // Counted as a failed try, so the retry schedule (and its end) applies as to any failure.
            logger.LogError("Delivery {DeliveryId} failed inside Herald ({Error}).", delivery.Id, ex.GetType().Name);
            var delay = schedule.NextDelay(delivery.Attempts + 1, null);
            await _outcomes.Writer.WriteAsync(new DeliveryOutcome(delivery, "internal_error", null, time.GetUtcNow().ToUnixTimeMilliseconds(), 0, null,
                true, delay is null ? DeliveryStatuses.Failed : DeliveryStatuses.Pending,
                delay is null ? null : time.GetUtcNow().Add(delay.Value).ToUnixTimeMilliseconds(), false), CancellationToken.None);
        }
    }

    private async Task<DeliveryOutcome> AttemptAsync(ClaimedDelivery delivery, Message? e, DestinationRecord? destination, CancellationToken ct)
    {
        var started = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (e is null || destination is null || destination.Status != DestinationStatuses.Active)
        {
            return new DeliveryOutcome(delivery, "destination_disabled", null, started, 0, null, Attempted: false,
                DeliveryStatuses.Failed, null, DisableDestination: false);
        }

        var result = await sender.SendAsync(destination, e, ct);
        var attempt = delivery.Attempts + 1;
        if (result.Delivered)
            return new DeliveryOutcome(delivery, result.Outcome, result.StatusCode, started, (int)result.Duration.TotalMilliseconds,
                result.ResponseBody, true, DeliveryStatuses.Delivered, null, false);

        var gone = result.StatusCode == 410;
        var retryAfter = result.StatusCode is 429 or 503 ? result.RetryAfter ?? null : null;
        var delay = gone ? null : schedule.NextDelay(attempt, retryAfter);
        return new DeliveryOutcome(delivery, result.Outcome, result.StatusCode, started, (int)result.Duration.TotalMilliseconds,
            result.ResponseBody, true,
            delay is null ? DeliveryStatuses.Failed : DeliveryStatuses.Pending,
            delay is null ? null : time.GetUtcNow().Add(delay.Value).ToUnixTimeMilliseconds(),
            DisableDestination: gone);
    }

    private async Task WriteOutcomesAsync()
    {
        var batch = new List<DeliveryOutcome>();
        while (await _outcomes.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 1000 && _outcomes.Reader.TryRead(out var outcome)) batch.Add(outcome);
            if (!await TryWriteAsync(batch))
            {
                // Write one by one; an outcome that still cannot be written is dropped: its lease expires and the delivery
                // is sent again (at least once), so nothing is lost and one bad row cannot block the rest.
                var failed = 0;
                foreach (var outcome in batch)
                    if (!await TryWriteAsync([outcome])) failed++;
                if (failed > 0)
                {
                    logger.LogWarning("{Count} delivery outcome(s) could not be written; those deliveries will be sent again after their lease.", failed);
                    if (failed == batch.Count) await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
                }
            }
            // A delivery counts against its lane until its outcome is written, so a node never has more sent-but-unrecorded
            // work than its lanes allow (that is what a crash would send twice).
            foreach (var outcome in batch) lanes.Release(outcome.Delivery);
            batch.Clear();
            signal.Notify(); // sends finished: lanes have room again
        }
    }

    private async Task<bool> TryWriteAsync(IReadOnlyList<DeliveryOutcome> batch)
    {
        try
        {
            var disabled = await store.WriteOutcomesAsync(_node, batch, _options.DisableAfter, CancellationToken.None);
            foreach (var destination in disabled) await AnnounceDisabledAsync(destination);
            return true;
        }
        catch (Exception e)
        {
            logger.LogDebug("Writing {Count} delivery outcome(s) failed ({Error}).", batch.Count, e.GetType().Name);
            return false;
        }
    }

    /// <summary>Emits herald.destination.disabled to the project's other destinations.</summary>
    private async Task AnnounceDisabledAsync(DestinationRecord d)
    {
        var reason = d.LastDeliveryStatus == "http_410" ? "it answered 410 Gone" : $"it kept failing for {_options.DisableAfter.TotalDays:0.#} days";
        logger.LogWarning("Destination {DestinationId} was disabled because {Reason}.", d.Id, reason);
        try
        {
            await publisher.PublishInternalAsync(d.ProjectId, "herald.destination.disabled",
                $"Destination disabled: {d.Name}", $"Herald disabled the {d.Kind} destination '{d.Name}' ({d.DestinationHost}) because {reason}.",
                new JsonObject
                {
                    ["destination_id"] = d.Id, ["kind"] = d.Kind, ["name"] = d.Name, ["destination_host"] = d.DestinationHost,
                    ["last_delivery_status"] = d.LastDeliveryStatus, ["reason"] = reason,
                },
                $"herald.destination.disabled:{d.Id}:{d.UpdatedAt}", CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not publish herald.destination.disabled for {DestinationId} ({Error}).", d.Id, e.GetType().Name);
        }
    }

    private async Task RenewLeasesAsync(CancellationToken stoppingToken)
    {
        var every = _options.LeaseDuration / 3;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stoppingToken); // cadence in wall-clock time; expiry in Herald's clock
                if (!lanes.InHandIds.IsEmpty) await store.RenewLeasesAsync(_node, lanes.InHandIds.Keys.ToList(), _options.LeaseDuration, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogWarning("Renewing leases failed ({Error}).", e.GetType().Name);
            }
        }
    }
}
