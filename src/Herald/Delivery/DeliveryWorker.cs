using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Herald.Connectors;
using Herald.Destinations;
using Herald.Events;
using Herald.Options;
using Microsoft.Extensions.Options;

namespace Herald.Delivery;

/// <summary>
/// The dispatcher: leases due deliveries in batches, sends them through per-destination lanes, and writes outcomes back in
/// batches. Leases are renewed while work is in hand; a crashed node's leases expire and another node takes the work over.
/// <para>
/// Isolation: a lane's concurrency adapts to its destination (see <see cref="DispatchLanes"/>); a lane whose last attempts
/// failed sends from a small pool of its own, so destinations that hang or fail can never hold the connections healthy
/// destinations need; and after CircuitBreakerFailures failures in a row the destination's circuit opens (kept in the
/// store, so every node sees it): its deliveries wait for the cool-down's end without spending tries, then one probe decides.
/// </para>
/// <para>
/// Shutdown: claiming stops, sends in flight get ShutdownGrace to finish and their outcomes are written, and every lease
/// this node still holds is handed back in the store, so another node (or the next start) takes that work at once.
/// </para>
/// </summary>
public sealed class DeliveryWorker(
    DeliveryStore store, DispatchLanes lanes, DeliverySender sender, RetrySchedule schedule, DeliverySignal signal, EventPublisher publisher,
    Observability.HeraldMetrics metrics, Controls.ControlsCache controls, Controls.RateGate rates,
    IOptions<HeraldOptions> options, TimeProvider time, ILogger<DeliveryWorker> logger) : BackgroundService
{
    private readonly DeliveryOptions _options = options.Value.Delivery;
    private readonly string _node = lanes.NodeId;
    private readonly Channel<DeliveryOutcome> _outcomes = Channel.CreateUnbounded<DeliveryOutcome>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abandon = new();
    private SemaphoreSlim _healthy = null!;
    private SemaphoreSlim _degraded = null!;
    private volatile bool _stopping;
    private int _rotate;

    private OutcomePolicy Policy => new(_options.DisableAfter, _options.CircuitBreakerFailures, _options.CircuitBreakerCooldown,
        _options.CircuitBreakerMaxCooldown);

    /// <summary>How many sends lanes that are failing may have in flight together, on this node.</summary>
    public static int DegradedPoolSize(int maxConcurrency) => Math.Max(2, maxConcurrency / 8);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Worker)
        {
            logger.LogInformation("Delivery worker is off (Herald:Delivery:Worker=false): this node only accepts events.");
            return;
        }
        _healthy = new SemaphoreSlim(_options.MaxConcurrency);
        _degraded = new SemaphoreSlim(DegradedPoolSize(_options.MaxConcurrency));
        logger.LogInformation("Delivery worker {Node} started.", _node);

        var writer = Task.Run(WriteOutcomesAsync, CancellationToken.None);
        using var renewing = new CancellationTokenSource();
        var renewer = Task.Run(() => RenewLeasesAsync(renewing.Token), CancellationToken.None);
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
        catch (Exception e) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping ends the claim loop however the claim in progress ends: cancelled, or failing as the stop cut it short (a
            // statement interrupted, a lock given up). Letting that escape would skip everything below: the grace for sends in
            // flight, their outcomes, and handing back the leases. What the claim took is in hand and is handed back below.
            if (e is not OperationCanceledException)
                logger.LogWarning("Claiming deliveries failed as the worker stopped ({Error}); what this node holds is handed back.", e.GetType().Name);
        }

        // Shutdown: no new work; queued work stays unsent; sends in flight get their grace, then are abandoned.
        _stopping = true;
        lanes.Accept(false);
        await handed;
        var inFlight = sends.Count;
        var all = Task.WhenAll(sends.Keys);
        if (await Task.WhenAny(all, Task.Delay(_options.ShutdownGrace, CancellationToken.None)) != all)
        {
            logger.LogWarning("Sends still in flight after the shutdown grace ({Grace}) are abandoned; their deliveries will be sent again.",
                _options.ShutdownGrace);
            await _abandon.CancelAsync();
            await all;
        }
        _outcomes.Writer.TryComplete();
        await writer;
        await renewing.CancelAsync();
        await renewer;

        // Everything still in hand (queued, abandoned, or whose outcome could not be written) is handed back.
        var left = lanes.InHandIds.Keys.ToList();
        try
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var released = await store.ReleaseLeasesAsync(_node, left, bound.Token);
            logger.LogInformation("Delivery worker {Node} stopped: {InFlight} send runner(s) finished, {Released} lease(s) handed back.",
                _node, inFlight, released);
        }
        catch (Exception e)
        {
            logger.LogWarning("Handing back {Count} lease(s) failed ({Error}); they are taken over when they expire.", left.Count, e.GetType().Name);
        }
    }

    /// <summary>Leases a batch and starts its sends; returns how many were claimed.</summary>
    private async Task<int> ClaimAndStartAsync(ConcurrentDictionary<Task, byte> sends, CancellationToken stoppingToken)
    {
        // Claim in batches: lanes free up as outcomes are written, and a claim per freed lane would cost a transaction each.
        // With no room (every lane full, or the node's in-hand cap reached) no claim runs at all.
        var room = Math.Min(_options.BatchSize, lanes.Room);
        if (room <= 0 || (lanes.InHand > 0 && room < Math.Min(_options.BatchSize, lanes.MaxInHand) / 8)) return 0;
        var claimed = (await store.ClaimAsync(_node, room, lanes.Headroom, _options.LeaseDuration, Interlocked.Increment(ref _rotate), stoppingToken))
            .Where(c => !lanes.InHandIds.ContainsKey(c.Id)).ToList(); // a lease this node lost and took back: it is already in hand
        if (claimed.Count == 0) return 0;
        foreach (var delivery in claimed)
        {
            lanes.Take(delivery);
            lanes.For(delivery.DestinationId).CircuitOpenUntil = null; // the claim saw the circuit closed, or took its probe
        }

        Dictionary<string, Message> messages;
        Dictionary<string, DestinationRecord> destinations;
        try
        {
            (var events, destinations) = await store.LoadAsync(
                claimed.Select(c => c.EventId).Distinct().ToList(), claimed.Select(c => c.DestinationId).Distinct().ToList(), stoppingToken);
            messages = events.Values.ToDictionary(e => e.Id, MessageFactory.From);
        }
        catch (Exception e)
        {
            // Not started: counted out of the lanes again and handed back in the store (or left to expire), never renewed forever.
            foreach (var delivery in claimed) lanes.Release(delivery);
            try { await store.ReleaseLeasesAsync(_node, claimed.Select(c => c.Id).ToList(), CancellationToken.None); }
            catch (Exception) { /* the leases expire instead */ }
            throw new InvalidOperationException($"loading claimed work failed ({e.GetType().Name})", e);
        }
        foreach (var delivery in claimed)
            Start(sends, delivery, messages.GetValueOrDefault(delivery.EventId), destinations.GetValueOrDefault(delivery.DestinationId));
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
                    try
                    {
                        if (!messages.TryGetValue(d.Event.Id, out var message)) messages[d.Event.Id] = message = MessageFactory.From(d.Event);
                        Start(sends, d.Delivery, message, d.Destination);
                    }
                    catch (Exception e)
                    {
                        // Not started: out of the lanes, and no longer renewed, so its lease expires and it is claimed again.
                        logger.LogWarning("Starting delivery {DeliveryId} failed ({Error}); it is claimed again when its lease expires.",
                            d.Delivery.Id, e.GetType().Name);
                        lanes.Release(d.Delivery);
                    }
                }
                messages.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        // Handed over too late to start: they stay in hand, and their leases are handed back with the rest.
    }

    /// <summary>Queues a delivery on its destination's lane and starts a runner for the lane if it has fewer than its limit.</summary>
    private void Start(ConcurrentDictionary<Task, byte> sends, ClaimedDelivery delivery, Message? e, DestinationRecord? destination)
    {
        var lane = lanes.For(delivery.DestinationId);
        lane.Pending.Enqueue(new DispatchLanes.Work(delivery, e, destination));
        if (!lane.TryAddRunner()) return;
        var runner = RunLaneAsync(lane);
        sends.TryAdd(runner, 0);
        _ = runner.ContinueWith(t => sends.TryRemove(t, out _), TaskScheduler.Default);
    }

    /// <summary>
    /// Sends a lane's queued deliveries one after another; a lane has at most its adaptive limit of runners, and a runner above
    /// a limit that shrank stops after its send. Nothing new starts once shutdown has begun.
    /// </summary>
    private async Task RunLaneAsync(DispatchLanes.Lane lane)
    {
        await Task.Yield(); // off the claimer's stack
        do
        {
            while (!_stopping && !lane.OverLimit && lane.Pending.TryDequeue(out var work)) await SendOneAsync(lane, work);
        }
        while (!_stopping && lane.TryKeepRunner());
    }

    private async Task SendOneAsync(DispatchLanes.Lane lane, DispatchLanes.Work work)
    {
        var delivery = work.Delivery;
        if (lanes.IsErased(delivery.ProjectId, delivery.CreatedAt))
        {
            await ErasedAsync(delivery);
            return;
        }
        if (lane.CircuitOpenUntil is { } reopens)
        {
            // The destination's circuit opened while this waited: it waits for the cool-down's end, and is not counted as a try.
            await _outcomes.Writer.WriteAsync(new DeliveryOutcome(delivery, "circuit_open", null, time.GetUtcNow().ToUnixTimeMilliseconds(), 0, null,
                Attempted: false, DeliveryStatuses.Pending, null, false, DeferUntil: reopens), CancellationToken.None);
            return;
        }

        // A rate-limited destination: the send waits for its slot (not counted as a try); a longer wait defers the delivery.
        var (go, deferUntil) = await RateTurnAsync(delivery);
        if (!go)
        {
            if (deferUntil is { } until)
                await _outcomes.Writer.WriteAsync(new DeliveryOutcome(delivery, "rate_limited", null, time.GetUtcNow().ToUnixTimeMilliseconds(), 0, null,
                    Attempted: false, DeliveryStatuses.Pending, null, false, DeferUntil: until), CancellationToken.None);
            return; // no deferral: shutdown began while it waited, and its lease is handed back
        }

        var pool = lane.Degraded ? _degraded : _healthy;
        try
        {
            await pool.WaitAsync(_abandon.Token);
        }
        catch (OperationCanceledException)
        {
            return; // abandoned at shutdown before it started: its lease is handed back
        }
        if (_stopping)
        {
            pool.Release();
            return; // shutdown began while it waited for a slot: not started, so its lease is handed back
        }
        // Tracked before the erasure check: an erasure either is seen here or cancels this send (it marks, then cancels).
        var send = lane.Track(delivery.ProjectId, _abandon.Token);
        try
        {
            if (lanes.IsErased(delivery.ProjectId, delivery.CreatedAt))
            {
                await ErasedAsync(delivery);
                return;
            }
            var outcome = await TracedAttemptAsync(delivery, work.Message, work.Destination, send.Token);
            metrics.Outcome(work.Destination?.Kind, outcome);
            if (outcome.Succeeded) lane.Succeeded();
            else if (outcome.FailedAtDestination) lane.Failed();
            await _outcomes.Writer.WriteAsync(outcome, CancellationToken.None);
        }
        catch (OperationCanceledException) when (send.IsCancellationRequested)
        {
            // Abandoned at shutdown (its lease is handed back), or its project was erased; a send of the project's newer work
            // cancelled with it is not recorded, so its lease expires and it is sent again.
            if (_abandon.IsCancellationRequested) return;
            if (lanes.IsErased(delivery.ProjectId, delivery.CreatedAt)) await ErasedAsync(delivery);
            else lanes.Release(delivery);
        }
        catch (Exception ex)
        {
            // Counted as a failed try, so the retry schedule (and its end) applies as to any failure.
            logger.LogError("Delivery {DeliveryId} failed inside Herald ({Error}).", delivery.Id, ex.GetType().Name);
            var delay = (await ScheduleOfAsync(delivery.DestinationId)).NextDelay(delivery.Attempts + 1, null);
            metrics.InternalError(work.Destination?.Kind, delivery, final: delay is null);
            await _outcomes.Writer.WriteAsync(new DeliveryOutcome(delivery, "internal_error", null, time.GetUtcNow().ToUnixTimeMilliseconds(), 0, null,
                true, delay is null ? DeliveryStatuses.Failed : DeliveryStatuses.Pending,
                delay is null ? null : (long)delay.Value.TotalMilliseconds, false) { HeraldSide = true }, CancellationToken.None);
        }
        finally
        {
            lane.Untrack(send);
            pool.Release();
        }
    }

    /// <summary>
    /// A delivery whose project was erased up to its creation: not sent. Its row is normally gone (the outcome is then dropped
    /// quietly); one that outlived the erasure (stored as it ran) ends as failed, so it never waits forever.
    /// </summary>
    private ValueTask ErasedAsync(ClaimedDelivery delivery) =>
        _outcomes.Writer.WriteAsync(new DeliveryOutcome(delivery, "project_erased", null, time.GetUtcNow().ToUnixTimeMilliseconds(), 0, null,
            Attempted: false, DeliveryStatuses.Failed, null, false), CancellationToken.None);

    /// <summary>
    /// The attempt inside its span: a root span (not a child of whatever started this lane) linked to the event's publish span.
    /// Its attributes are ids, the destination kind, the outcome and status code: never the URL, host, headers or event data.
    /// </summary>
    private async Task<DeliveryOutcome> TracedAttemptAsync(ClaimedDelivery delivery, Message? e, DestinationRecord? destination, CancellationToken ct)
    {
        System.Diagnostics.Activity.Current = null; // flows only within this call
        using var span = Observability.HeraldTracing.Source.StartActivity(Observability.HeraldTracing.AttemptSpan,
            System.Diagnostics.ActivityKind.Consumer, default(System.Diagnostics.ActivityContext),
            links: Observability.HeraldTracing.LinkTo(e?.TraceParent));
        if (span is null) return await AttemptAsync(delivery, e, destination, ct);
        span.SetTag("herald.delivery.id", delivery.Id).SetTag("herald.event.id", delivery.EventId)
            .SetTag("herald.destination.id", delivery.DestinationId).SetTag("herald.destination.kind", destination?.Kind)
            .SetTag("herald.delivery.attempt", delivery.Attempts + 1);
        var outcome = await AttemptAsync(delivery, e, destination, ct);
        span.SetTag("herald.delivery.outcome", outcome.Outcome).SetTag("herald.delivery.status", outcome.NewStatus);
        if (outcome.StatusCode is { } code) span.SetTag("http.response.status_code", code);
        if (!outcome.Succeeded) span.SetStatus(System.Diagnostics.ActivityStatusCode.Error, outcome.Outcome);
        return outcome;
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
        var duration = (int)result.Duration.TotalMilliseconds;
        if (result.Verdict == Transports.TransportVerdict.Delivered)
            return new DeliveryOutcome(delivery, result.Outcome, result.StatusCode, started, duration, result.ResponseBody, true,
                DeliveryStatuses.Delivered, null, false) { ResponseHeaders = result.ResponseHeaders };

        if (result.StatusCode == 429) await SlowDownAsync(destination.Id, result.RetryAfter);
        var delay = result.Verdict == Transports.TransportVerdict.Final ? null : (await ScheduleOfAsync(destination.Id)).NextDelay(attempt, result.RetryAfter);
        return new DeliveryOutcome(delivery, result.Outcome, result.StatusCode, started, duration, result.ResponseBody, true,
            delay is null ? DeliveryStatuses.Failed : DeliveryStatuses.Pending,
            delay is null ? null : (long)delay.Value.TotalMilliseconds,
            DisableDestination: result.DisableDestination)
        {
            HeraldSide = result.HeraldSide,
            DisableReason = result.DisableReason,
            ResponseHeaders = result.ResponseHeaders,
        };
    }

    /// <summary>The longest a send waits in its lane for a rate slot; a later slot defers the delivery in the store.</summary>
    public static readonly TimeSpan MaxRateWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Go: send now (no rate limit, or its slot was taken). Otherwise DeferUntil (store clock) when the next slot is further off
    /// than <see cref="MaxRateWait"/>, or null when shutdown began while it waited.
    /// </summary>
    private async Task<(bool Go, long? DeferUntil)> RateTurnAsync(ClaimedDelivery delivery)
    {
        try
        {
            if ((await controls.GetAsync(delivery.DestinationId, CancellationToken.None))?.Rate is not { } rate) return (true, null);
            while (true)
            {
                if (_stopping) return (false, null);
                if (await rates.TryTakeAsync(delivery.DestinationId, rate, CancellationToken.None) is not { } next) return (true, null);
                var wait = next - rates.Now;
                if (wait > MaxRateWait.TotalMilliseconds) return (false, next);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, wait)), time, _abandon.Token);
            }
        }
        catch (OperationCanceledException) when (_abandon.IsCancellationRequested)
        {
            return (false, null);
        }
        catch (Exception e)
        {
            // The slot could not be read: the delivery waits a little rather than risk going over the limit.
            logger.LogWarning("Taking a rate slot for {DestinationId} failed ({Error}); its delivery waits.", delivery.DestinationId, e.GetType().Name);
            return (false, rates.Now + (long)MaxRateWait.TotalMilliseconds);
        }
    }

    /// <summary>A 429 from a rate-limited destination lowers its rate for a while (see <see cref="Controls.RateGate"/>).</summary>
    private async Task SlowDownAsync(string destinationId, TimeSpan? retryAfter)
    {
        try
        {
            if ((await controls.GetAsync(destinationId, CancellationToken.None))?.Rate is not null)
                await rates.SlowDownAsync(destinationId, retryAfter, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning("Lowering the rate of {DestinationId} after a 429 failed ({Error}).", destinationId, e.GetType().Name);
        }
    }

    /// <summary>The destination's own retry_schedule control, else Herald:Delivery:RetrySchedule.</summary>
    private async Task<RetrySchedule> ScheduleOfAsync(string destinationId)
    {
        try
        {
            return (await controls.GetAsync(destinationId, CancellationToken.None))?.Schedule ?? schedule;
        }
        catch (Exception e)
        {
            logger.LogWarning("Reading destination controls failed ({Error}); the global retry schedule applies.", e.GetType().Name);
            return schedule;
        }
    }

    private async Task WriteOutcomesAsync()
    {
        var batch = new List<DeliveryOutcome>();
        while (await _outcomes.Reader.WaitToReadAsync(CancellationToken.None))
        {
            while (batch.Count < 1000 && _outcomes.Reader.TryRead(out var outcome)) batch.Add(outcome);
            var written = await TryWriteAsync(batch);
            if (written is null)
            {
                // Write one by one; an outcome that still cannot be written is dropped: its lease expires and the delivery
                // is sent again (at least once), so nothing is lost and one bad row cannot block the rest.
                var failed = 0;
                foreach (var outcome in batch)
                    if (await TryWriteAsync([outcome]) is null) failed++;
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

    private async Task<OutcomeWrite?> TryWriteAsync(IReadOnlyList<DeliveryOutcome> batch)
    {
        OutcomeWrite written;
        try
        {
            written = await store.WriteOutcomesAsync(_node, batch, Policy, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogDebug("Writing {Count} delivery outcome(s) failed ({Error}).", batch.Count, e.GetType().Name);
            return null;
        }
        lanes.Observe(written.Circuits);
        foreach (var destination in written.Disabled)
            await AnnounceDisabledAsync(destination, batch.LastOrDefault(o => o.Delivery.DestinationId == destination.Id && o.DisableDestination)?.DisableReason);
        foreach (var change in written.Changes) await AnnounceCircuitAsync(change);
        foreach (var failed in written.Failed) await AnnounceFailedAsync(failed);
        return written;
    }

    /// <summary>Emits herald.destination.disabled to the project's other destinations.</summary>
    private async Task AnnounceDisabledAsync(DestinationRecord d, string? gone)
    {
        var reason = gone ?? $"it kept failing for {_options.DisableAfter.TotalDays:0.#} days";
        logger.LogWarning("Destination {DestinationId} was disabled because {Reason}.", d.Id, reason);
        await AnnounceAsync(d, "herald.destination.disabled", $"Destination disabled: {d.Name}",
            $"Herald disabled the {d.Kind} destination '{d.Name}' ({d.DestinationHost}) because {reason}.",
            new JsonObject { ["reason"] = reason }, $"herald.destination.disabled:{d.Id}:{d.UpdatedAt}");
    }

    /// <summary>
    /// Emits herald.destination.circuit_opened when a destination's circuit first opens (not at each re-opening after a failed
    /// probe), and herald.destination.recovered when it closes again.
    /// </summary>
    private async Task AnnounceCircuitAsync(CircuitChange change)
    {
        var d = change.Destination;
        if (change.Opened)
        {
            logger.LogWarning("Destination {DestinationId} failed {Count} times in a row: its circuit is open until {ReopensAt:O}.",
                d.Id, _options.CircuitBreakerFailures, Common.Clock.FromMs(change.ReopensAt));
            if (d.CircuitOpens != 1) return;
            await AnnounceAsync(d, "herald.destination.circuit_opened", $"Destination paused: {d.Name}",
                $"The {d.Kind} destination '{d.Name}' ({d.DestinationHost}) failed {_options.CircuitBreakerFailures} times in a row; " +
                $"Herald holds its deliveries and tries it again at {Common.Clock.FromMs(change.ReopensAt):u}.",
                new JsonObject { ["circuit_reopens_at"] = Common.Clock.FromMs(change.ReopensAt) }, $"herald.destination.circuit_opened:{d.Id}:{change.ReopensAt}");
            return;
        }
        logger.LogInformation("Destination {DestinationId} answered again: its circuit is closed.", d.Id);
        await AnnounceAsync(d, "herald.destination.recovered", $"Destination recovered: {d.Name}",
            $"The {d.Kind} destination '{d.Name}' ({d.DestinationHost}) answered again; Herald sends its held deliveries now.",
            new JsonObject(), $"herald.destination.recovered:{d.Id}:{time.GetUtcNow().ToUnixTimeMilliseconds()}");
    }

    /// <summary>
    /// Emits herald.delivery.failed when a delivery ends as failed after a try (its retry schedule ran out, or 410 Gone), to the
    /// project's other destinations. Not for Herald's own herald.* events: a watcher that fails would otherwise be told about its
    /// own failures through notices that fail in turn.
    /// </summary>
    private async Task AnnounceFailedAsync(FailedDelivery f)
    {
        if (f.EventType.StartsWith("herald.", StringComparison.Ordinal)) return;
        var data = new JsonObject
        {
            ["event_id"] = f.EventId, ["event_type"] = f.EventType, ["destination_id"] = f.DestinationId, ["kind"] = f.Kind,
            ["attempts"] = f.Attempts, ["last_outcome"] = f.LastOutcome,
        };
        try
        {
            await publisher.PublishInternalAsync(f.ProjectId, "herald.delivery.failed", "Delivery failed",
                $"Herald gave up delivering event {f.EventId} ({f.EventType}) to destination {f.DestinationId} after {f.Attempts} attempt(s); " +
                $"last outcome: {f.LastOutcome}.", data, $"herald.delivery.failed:{f.DeliveryId}:{f.Attempts}", CancellationToken.None,
                excludeDestinationId: f.DestinationId);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not publish herald.delivery.failed for {DeliveryId} ({Error}).", f.DeliveryId, e.GetType().Name);
        }
    }

    private async Task AnnounceAsync(DestinationRecord d, string type, string title, string body, JsonObject extra, string idempotencyKey)
    {
        var data = new JsonObject
        {
            ["destination_id"] = d.Id, ["kind"] = d.Kind, ["name"] = d.Name, ["destination_host"] = d.DestinationHost,
            ["last_delivery_status"] = d.LastDeliveryStatus,
        };
        foreach (var (key, value) in extra) data[key] = value?.DeepClone();
        try
        {
            await publisher.PublishInternalAsync(d.ProjectId, type, title, body, data, idempotencyKey, CancellationToken.None, excludeDestinationId: d.Id);
        }
        catch (Exception e)
        {
            logger.LogWarning("Could not publish {Type} for {DestinationId} ({Error}).", type, d.Id, e.GetType().Name);
        }
    }

    private async Task RenewLeasesAsync(CancellationToken ct)
    {
        var every = _options.LeaseDuration / 3;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, ct); // cadence in wall-clock time; expiry on the store's clock
                if (!lanes.InHandIds.IsEmpty) await store.RenewLeasesAsync(_node, lanes.InHandIds.Keys.ToList(), _options.LeaseDuration, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                logger.LogWarning("Renewing leases failed ({Error}).", e.GetType().Name);
            }
        }
    }

    public override void Dispose()
    {
        _abandon.Dispose();
        base.Dispose();
    }
}
