using System.Diagnostics;
using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Herald.Tests.Sources;

/// <summary>With traces on, the server span of an inbound request names the route, never the inbound token.</summary>
public sealed class SourceTracingTests
{
    [Fact]
    public async Task The_inbound_token_is_in_no_span()
    {
        var spans = new LockedSpans(); // every host in this test process reports its server spans to this provider too
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite,
            new() { ["Herald:Delivery:Worker"] = "false", ["Herald:Traces:Enabled"] = "true" },
            services => services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)));
        var admin = herald.Admin();
        const string secret = "rzp_tracing_secret_1";
        var url = (await admin.CreateSourceAsync("razorpay", secret)).Str("inbound_url");
        var token = url[(url.LastIndexOf('/') + 1)..];
        await herald.Anonymous().PostRazorpay(url, secret, SourceTestKit.RazorpayPayment("pay_t"), "trace_1").Json(HttpStatusCode.OK);
        await herald.Anonymous().PostRazorpay(url, "wrong_secret_123", SourceTestKit.RazorpayPayment("pay_t"), "trace_2").Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var all = spans.Snapshot();
        var inbound = all.Where(s => s.Kind == ActivityKind.Server && s.TagObjects.Any(t => t.Key == "url.path" && t.Value as string == "/in/{token}")).ToList();
        Assert.True(inbound.Count >= 2, $"{inbound.Count} inbound server span(s) name the route");
        foreach (var span in all)
        {
            Assert.DoesNotContain(token, span.DisplayName);
            Assert.DoesNotContain(span.TagObjects, t => t.Value?.ToString()?.Contains(token) == true);
        }
    }

    private sealed class LockedSpans : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this) base.InsertItem(index, item);
        }

        public Activity[] Snapshot()
        {
            lock (this) return this.ToArray();
        }
    }
}
