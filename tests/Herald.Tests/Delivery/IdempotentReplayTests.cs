using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Delivery;

/// <summary>A publish replayed with the same Idempotency-Key answers exactly what the first answered, whatever changed since.</summary>
public sealed class IdempotentReplayTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task A_replayed_publish_answers_the_first_status_and_body(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/one", events = new[] { "db.*" } });

        async Task<(HttpStatusCode Status, string Body, bool Replayed)> Publish()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events")
            {
                Content = JsonContent.Create(new { type = "db.insert", data = new { table = "orders", id = 42 }, categories = new[] { "shop" } }),
            };
            request.Headers.Add("Idempotency-Key", "order-42-created");
            var response = await admin.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
        }

        var first = await Publish();
        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Contains("\"deliveries\":1", first.Body);

        // A second matching destination now would make a fresh publish answer 2 deliveries; the replay still answers the first body.
        await admin.CreateDestinationAsync(new { kind = "webhook", url = "https://93.184.216.34/two", events = new[] { "*" } });
        var replay = await Publish();
        Assert.Equal(first.Status, replay.Status);
        Assert.Equal(first.Body, replay.Body);
        Assert.True(replay.Replayed);
        Assert.False(first.Replayed);
    }
}
