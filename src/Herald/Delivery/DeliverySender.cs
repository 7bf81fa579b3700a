using Herald.Connectors;
using Herald.Delivery.Transports;
using Herald.Destinations;
using Herald.Destinations.Kinds;

namespace Herald.Delivery;

/// <summary>
/// The one send path, for deliveries and test sends alike: the destination's kind renders the message (once per message,
/// kind, style and settings), and the kind's transport carries it and reports a transport-neutral outcome.
/// </summary>
public sealed class DeliverySender(DestinationKindRegistry kinds, OpenedDestinations destinations, TimeProvider time,
    Controls.ControlsCache controls, Controls.TemplatedPayloads payloads)
{
    public async Task<TransportOutcome> SendAsync(DestinationRecord d, Message message, CancellationToken ct)
    {
        var kind = kinds.Get(d.Kind);
        var sendControls = await controls.GetAsync(d.Id, ct);
        // The destination's template control, if any, renders instead of the kind (a render error is final: no retry).
        var (payload, templateError) = await payloads.ForSendAsync(kind, d, message, ct);
        if (payload is null)
            return TransportOutcome.Final(Controls.MessageTemplate.ErrorOutcome, TimeSpan.Zero) with { HeraldSide = true, ResponseBody = templateError };
        var request = new TransportRequest(d, destinations.Open(d), message, payload, time.GetUtcNow(), kind)
        {
            Timeout = sendControls?.Timeout, // the destination's own timeout control, else Herald:Delivery:Timeout
        };
        return await kinds.TransportOf(kind).SendAsync(request, ct);
    }
}
