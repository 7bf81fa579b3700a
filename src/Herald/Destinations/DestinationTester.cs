using Herald.Connectors;
using Herald.Delivery;

namespace Herald.Destinations;

/// <summary>The test button: sends a synthetic test.ping through the destination's kind and transport now (the same path
/// deliveries take), records the outcome as the destination's last delivery status, and returns it.</summary>
public sealed class DestinationTester(DeliverySender sender, DestinationStore store, TimeProvider time)
{
    public async Task<TestResult> TestAsync(DestinationRecord d, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var result = await sender.SendAsync(d, Message.TestPing(now, d.ProjectId), ct);
        await store.RecordLastDeliveryAsync(d.Id, result.Outcome, now.ToUnixTimeMilliseconds(), ct);
        return new TestResult(result.Delivered, result.Outcome);
    }
}

public sealed record TestResult(bool Ok, string Status);
