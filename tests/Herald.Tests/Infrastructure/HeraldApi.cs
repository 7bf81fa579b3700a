using System.Net;
using System.Text.Json;

namespace Herald.Tests.Infrastructure;

/// <summary>Short-hands for the calls delivery tests make again and again.</summary>
public static class HeraldApi
{
    public static async Task<string> CreateDestinationAsync(this HttpClient admin, object body) =>
        (await admin.PostJson("/v1/destinations", body).Json(HttpStatusCode.Created)).GetProperty("destination").Str("id");

    public static async Task<JsonElement> PublishAsync(this HttpClient client, string type, object data, object? extra = null, string? idempotencyKey = null)
    {
        var body = new Dictionary<string, object?> { ["type"] = type, ["data"] = data };
        if (extra is not null)
            foreach (var property in extra.GetType().GetProperties()) body[property.Name] = property.GetValue(extra);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = System.Net.Http.Json.JsonContent.Create(body) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return await (await client.SendAsync(request)).Json(HttpStatusCode.Accepted);
    }

    public static async Task<JsonElement> EventAsync(this HttpClient client, string eventId) =>
        await client.GetAsync($"/v1/events/{eventId}").Json(HttpStatusCode.OK);

    public static async Task<JsonElement> DeliveryAsync(this HttpClient client, string deliveryId) =>
        await client.GetAsync($"/v1/deliveries/{deliveryId}").Json(HttpStatusCode.OK);

    public static async Task<JsonElement> DestinationAsync(this HttpClient client, string id) =>
        await client.GetAsync($"/v1/destinations/{id}").Json(HttpStatusCode.OK);

    /// <summary>The delivery of an event to one destination.</summary>
    public static async Task<JsonElement> DeliveryOfAsync(this HttpClient client, string eventId, string destinationId) =>
        (await client.EventAsync(eventId)).GetProperty("delivery_list").EnumerateArray().Single(d => d.Str("destination_id") == destinationId);
}
