using Herald.Common;
using Herald.Connectors;
using Herald.Delivery;
using Herald.Net;

namespace Herald.Destinations;

/// <summary>The test button: renders a synthetic test.ping for the destination's kind, sends it through the real sender now,
/// records the outcome as the destination's last delivery status, and returns it.</summary>
public sealed class DestinationTester(OpenedDestinations destinations, DestinationStore store, SafeHttpSender sender, TimeProvider time,
    Controls.ControlsCache controls)
{
    public async Task<TestResult> TestAsync(DestinationRecord d, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var message = Message.TestPing(now, d.ProjectId);
        var result = await SendAsync(d, message, ct);
        await store.RecordLastDeliveryAsync(d.Id, result.Outcome, now.ToUnixTimeMilliseconds(), ct);
        return new TestResult(result.Delivered, result.Outcome);
    }

    /// <summary>Renders, signs (custom webhooks) and sends one message to one destination.</summary>
    public async Task<SendResult> SendAsync(DestinationRecord d, Message message, CancellationToken ct)
    {
        var sendControls = await controls.GetAsync(d.Id, ct);
        var payload = message.RenderFor(d.Kind, d.Surface);
        var opened = destinations.Open(d);
        var headers = new List<KeyValuePair<string, string>>(opened.Headers) { new("User-Agent", "Herald/1.0") };
        var secrets = opened.SigningSecrets(d, time.GetUtcNow());
        if (secrets.Count > 0) headers.AddRange(Signer.Headers(message.EventId, time.GetUtcNow(), payload.Body, secrets));
        return await sender.SendAsync(HttpMethod.Parse(d.HttpMethod), opened.Url, payload.Body, payload.ContentType, headers, ct,
            sendControls?.Timeout);
    }
}

public sealed record TestResult(bool Ok, string Status);
