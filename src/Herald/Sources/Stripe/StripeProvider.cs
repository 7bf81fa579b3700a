using System.Text;
using System.Text.Json.Nodes;

namespace Herald.Sources.Stripe;

/// <summary>
/// Stripe webhooks: <c>Stripe-Signature: t=…,v1=…[,v1=…]</c>, each v1 the hex HMAC-SHA256 of "t.body" keyed with the endpoint's
/// signing secret (whsec_…, used as is); t must be within the tolerance (5 minutes). Any one matching v1 is enough (Stripe sends
/// two while a secret is being rolled). The event's <c>id</c> and <c>type</c> are in the body.
/// </summary>
public sealed class StripeProvider : InboundProvider
{
    private const int MaxSignatures = 8;

    public override string Kind => "stripe";
    public override string Name => "Stripe";
    public override string Description => "Receive Stripe events (payments, checkout, customers, subscriptions, invoices) as events.";

    public override IReadOnlyList<(string Type, string Description)> KnownEvents { get; } =
    [
        ("payment_intent.succeeded", "Stripe: a PaymentIntent succeeded."),
        ("payment_intent.payment_failed", "Stripe: a PaymentIntent's payment failed."),
        ("payment_intent.created", "Stripe: a PaymentIntent was created."),
        ("charge.succeeded", "Stripe: a charge succeeded."),
        ("charge.failed", "Stripe: a charge failed."),
        ("charge.refunded", "Stripe: a charge was refunded."),
        ("checkout.session.completed", "Stripe: a Checkout Session was completed."),
        ("customer.created", "Stripe: a customer was created."),
        ("customer.subscription.created", "Stripe: a subscription was created."),
        ("customer.subscription.updated", "Stripe: a subscription was updated."),
        ("customer.subscription.deleted", "Stripe: a subscription ended."),
        ("invoice.paid", "Stripe: an invoice was paid."),
        ("invoice.payment_failed", "Stripe: an invoice's payment failed."),
    ];

    public override string? CheckSecret(string secret) =>
        secret.StartsWith("whsec_", StringComparison.Ordinal) ? null : "must be the endpoint's signing secret, which starts with whsec_.";

    public override string? Verify(InboundRequest request, string secret, TimeSpan tolerance)
    {
        var header = Header(request, "Stripe-Signature");
        if (header is null) return SourceFailures.MissingSignature;
        string? timestamp = null;
        var signatures = new List<string>();
        foreach (var part in header.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var (key, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (key == "t") timestamp ??= value;
            else if (key == "v1" && signatures.Count < MaxSignatures) signatures.Add(value);
        }
        if (timestamp is null || signatures.Count == 0) return SourceFailures.MissingSignature;
        var prefix = Encoding.UTF8.GetBytes(timestamp + ".");
        var signed = new byte[prefix.Length + request.Body.Length];
        prefix.CopyTo(signed, 0);
        request.Body.CopyTo(signed, prefix.Length);
        var expected = HmacSha256(secret, signed);
        var matched = false;
        foreach (var signature in signatures) matched |= HexEquals(signature, expected); // every candidate is compared
        if (!matched) return SourceFailures.BadSignature;
        return IsFresh(timestamp, request.ReceivedAt, tolerance) ? null : SourceFailures.StaleTimestamp;
    }

    public override string? EventId(InboundRequest request, JsonObject payload) => Text(payload, "id");

    public override string? EventType(InboundRequest request, JsonObject payload) => Text(payload, "type");
}
