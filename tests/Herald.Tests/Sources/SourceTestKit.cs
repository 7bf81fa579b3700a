using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Sources;

/// <summary>Signing as each provider documents it (the interop tests check the same with the providers' own packages) and posting inbound.</summary>
internal static class SourceTestKit
{
    public static string RazorpaySignature(string secret, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public static string StripeHeader(string secret, string body, long timestamp) =>
        $"t={timestamp},v1={Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")))}";

    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public static string RazorpayPayment(string paymentId, string eventName = "payment.captured") => JsonSerializer.Serialize(new
    {
        entity = "event", account_id = "acc_BFQ7uQEaa7j2z7", @event = eventName, contains = new[] { "payment" },
        payload = new { payment = new { entity = new { id = paymentId, entity = "payment", amount = 50000, currency = "INR", status = "captured" } } },
        created_at = 1567674606,
    });

    public static Task<HttpResponseMessage> PostInbound(this HttpClient client, string inboundUrl, string body, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(inboundUrl).AbsolutePath)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return client.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PostRazorpay(this HttpClient client, string inboundUrl, string secret, string body, string eventId) =>
        client.PostInbound(inboundUrl, body, new Dictionary<string, string>
        {
            ["X-Razorpay-Signature"] = RazorpaySignature(secret, body), ["x-razorpay-event-id"] = eventId,
        });

    public static async Task<List<JsonElement>> EventsAsync(this HttpClient client) =>
        (await client.GetAsync("/v1/events?limit=200").Json(HttpStatusCode.OK)).GetProperty("data").EnumerateArray().ToList();

    public static async Task<JsonElement> CreateSourceAsync(this HttpClient admin, string kind, string secret, string? name = null) =>
        await admin.PostJson("/v1/sources", new { kind, name = name ?? kind, secret }).Json(HttpStatusCode.Created);

    public static async Task<JsonElement> SourceAsync(this HttpClient client, string id) =>
        await client.GetAsync($"/v1/sources/{id}").Json(HttpStatusCode.OK);
}
