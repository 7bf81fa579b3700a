using System.Text.Json.Nodes;

namespace Herald.Sources.Razorpay;

/// <summary>
/// Razorpay payment webhooks: <c>X-Razorpay-Signature</c> is the hex HMAC-SHA256 of the raw body keyed with the webhook secret
/// chosen in Razorpay's dashboard; <c>x-razorpay-event-id</c> identifies the event; the body's <c>event</c> names it.
/// Razorpay signs no timestamp, so there is no replay window beyond de-duplication by event id.
/// </summary>
public sealed class RazorpayProvider : InboundProvider
{
    public override string Kind => "razorpay";
    public override string Name => "Razorpay";
    public override string Description => "Receive Razorpay payment, order, refund and subscription webhooks as events.";

    public override IReadOnlyList<(string Type, string Description)> KnownEvents { get; } =
    [
        ("payment.authorized", "Razorpay: a payment was authorized."),
        ("payment.captured", "Razorpay: a payment was captured."),
        ("payment.failed", "Razorpay: a payment failed."),
        ("order.paid", "Razorpay: an order was paid."),
        ("refund.created", "Razorpay: a refund was created."),
        ("refund.processed", "Razorpay: a refund was processed."),
        ("refund.failed", "Razorpay: a refund failed."),
        ("payment_link.paid", "Razorpay: a payment link was paid."),
        ("invoice.paid", "Razorpay: an invoice was paid."),
        ("subscription.activated", "Razorpay: a subscription was activated."),
        ("subscription.charged", "Razorpay: a subscription was charged."),
        ("subscription.cancelled", "Razorpay: a subscription was cancelled."),
        ("settlement.processed", "Razorpay: a settlement was processed."),
    ];

    public override string? Verify(InboundRequest request, string secret, TimeSpan tolerance)
    {
        var signature = Header(request, "X-Razorpay-Signature");
        if (signature is null) return SourceFailures.MissingSignature;
        return HexEquals(signature.ToLowerInvariant(), HmacSha256(secret, request.Body)) ? null : SourceFailures.BadSignature;
    }

    public override string? EventId(InboundRequest request, JsonObject payload) => Header(request, "x-razorpay-event-id");

    public override string? EventType(InboundRequest request, JsonObject payload) => Text(payload, "event");
}
