using Herald.Delivery.Transports;
using Herald.Net;

namespace Herald.Tests.Delivery;

/// <summary>HTTP's status rules, which live in the HTTP transport and reach the worker as transport-neutral outcomes.</summary>
public sealed class HttpTransportTests
{
    private static readonly TimeSpan Took = TimeSpan.FromMilliseconds(12);

    [Fact]
    public void Status_codes_become_delivered_retry_or_final()
    {
        var ok = HttpTransport.ToOutcome(new SendResult(Outcomes.Delivered(202), 202, Took, "fine", null));
        Assert.Equal((TransportVerdict.Delivered, "delivered_202", 202, "fine"), (ok.Verdict, ok.Outcome, ok.StatusCode, ok.ResponseBody));

        var gone = HttpTransport.ToOutcome(new SendResult(Outcomes.Http(410), 410, Took, null, null));
        Assert.Equal((TransportVerdict.Final, true, "it answered 410 Gone"), (gone.Verdict, gone.DisableDestination, gone.DisableReason));

        foreach (var status in new[] { 429, 503 })
        {
            var busy = HttpTransport.ToOutcome(new SendResult(Outcomes.Http(status), status, Took, null, TimeSpan.FromSeconds(30)));
            Assert.Equal((TransportVerdict.Retry, (TimeSpan?)TimeSpan.FromSeconds(30)), (busy.Verdict, busy.RetryAfter));
        }

        // Retry-After means something only with 429 and 503.
        var failed = HttpTransport.ToOutcome(new SendResult(Outcomes.Http(500), 500, Took, "boom", TimeSpan.FromSeconds(30)));
        Assert.Equal((TransportVerdict.Retry, (TimeSpan?)null, false, false), (failed.Verdict, failed.RetryAfter, failed.DisableDestination, failed.HeraldSide));

        var timeout = HttpTransport.ToOutcome(new SendResult(Outcomes.Timeout, null, Took, null, null));
        Assert.Equal((TransportVerdict.Retry, "timeout", false), (timeout.Verdict, timeout.Outcome, timeout.HeraldSide));

        var ours = HttpTransport.ToOutcome(new SendResult(Outcomes.RequestError, null, Took, null, null));
        Assert.Equal((TransportVerdict.Retry, true), (ours.Verdict, ours.HeraldSide)); // not the receiver's fault: the breaker ignores it
    }
}
