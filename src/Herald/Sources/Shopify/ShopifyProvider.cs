using System.Text.Json.Nodes;

namespace Herald.Sources.Shopify;

/// <summary>
/// Shopify webhooks: <c>X-Shopify-Hmac-Sha256</c> is the base64 HMAC-SHA256 of the raw body keyed with the app's client secret
/// (or the store's webhook signing key); <c>X-Shopify-Webhook-Id</c> identifies the delivery; <c>X-Shopify-Topic</c>
/// (orders/create) names it, published as shopify.orders.create. Shopify signs no timestamp.
/// </summary>
public sealed class ShopifyProvider : InboundProvider
{
    public override string Kind => "shopify";
    public override string Name => "Shopify";
    public override string Description => "Receive Shopify store webhooks (orders, refunds, customers, products) as events.";
    public override string Category => "commerce";

    public override IReadOnlyList<(string Type, string Description)> KnownEvents { get; } =
    [
        ("orders.create", "Shopify: an order was created."),
        ("orders.paid", "Shopify: an order was paid."),
        ("orders.cancelled", "Shopify: an order was cancelled."),
        ("orders.fulfilled", "Shopify: an order was fulfilled."),
        ("refunds.create", "Shopify: a refund was created."),
        ("customers.create", "Shopify: a customer was created."),
        ("products.create", "Shopify: a product was created."),
        ("products.update", "Shopify: a product was updated."),
        ("app.uninstalled", "Shopify: the app was uninstalled from a store."),
    ];

    public override string? Verify(InboundRequest request, string secret, TimeSpan tolerance)
    {
        var signature = Header(request, "X-Shopify-Hmac-Sha256");
        if (signature is null) return SourceFailures.MissingSignature;
        return Base64Equals(signature, HmacSha256(secret, request.Body)) ? null : SourceFailures.BadSignature;
    }

    public override string? EventId(InboundRequest request, JsonObject payload) => Header(request, "X-Shopify-Webhook-Id");

    public override string? EventType(InboundRequest request, JsonObject payload) => Header(request, "X-Shopify-Topic")?.Replace('/', '.');
}
