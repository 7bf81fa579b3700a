using System.Diagnostics;
using System.Net;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;

namespace Herald.Tests.Observability;

/// <summary>Traces: a publish span and attempt spans linked to it through the stored trace context; nothing secret in any span.</summary>
public sealed class TracingTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Attempt_spans_link_to_the_publish_span_and_carry_no_url(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var token = "planted" + Guid.NewGuid().ToString("N");
        var calls = 0;
        receiver.Respond = context =>
        {
            context.Response.StatusCode = Interlocked.Increment(ref calls) == 1 ? 503 : 200;
            return Task.CompletedTask;
        };
        var spans = new LockedSpans(); // every host in this test process reports Herald spans to this provider too
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = HeraldFactory.ReceiverSettings(receiver.Port);
        settings["Herald:Delivery:Resolve:0"] = $"receiver.test:{receiver.Port}=127.0.0.1:{receiver.Port}";
        settings["Herald:Delivery:RetryJitter"] = "0";
        settings["Herald:Delivery:RetrySchedule"] = "5s";
        settings["Herald:Delivery:PollInterval"] = "00:00:00.050";
        settings["Herald:Traces:Enabled"] = "true";
        // HttpClient's own source is collected too: the delivery client must not make spans (or headers) of its requests.
        await using var herald = await HeraldFactory.CreateAsync(store, settings, services => services
            .AddSingleton<TimeProvider>(time).AddSingleton(Herald.Storage.StoreClock.Following(time))
            .ConfigureOpenTelemetryTracerProvider(t => t.AddSource("System.Net.Http").AddInMemoryExporter(spans)));
        _ = herald.Server;
        var admin = herald.Admin();
        var destination = await admin.CreateDestinationAsync(new
        {
            kind = "webhook", url = $"https://receiver.test:{receiver.Port}/hook/{token}?key={token}", events = new[] { "db.*" },
        });

        var e = await admin.PublishAsync("db.insert", new { secret_field = token });
        var deliveryId = (await admin.DeliveryOfAsync(e.Str("id"), destination)).Str("id");
        await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(deliveryId)).GetProperty("attempts").GetInt32() == 1, "first attempt");
        // The second try is claimed from the store, so its link comes from the stored trace context.
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.TrueAsync(async () => (await admin.DeliveryAsync(deliveryId)).Str("status") == "delivered", "delivered");

        var all = spans.Snapshot();
        var publish = Assert.Single(all, s => s.OperationName == "herald.publish" && Tag(s, "herald.event.id") == e.Str("id"));
        Assert.Equal("db.insert", Tag(publish, "herald.event.type"));
        var attempts = all.Where(s => s.OperationName == "herald.delivery.attempt" && Tag(s, "herald.delivery.id") == deliveryId)
            .OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.Equal(["http_503", "delivered_200"], attempts.Select(a => Tag(a, "herald.delivery.outcome")));
        Assert.Equal(["503", "200"], attempts.Select(a => Tag(a, "http.response.status_code")));
        Assert.All(attempts, a =>
        {
            Assert.Equal("webhook", Tag(a, "herald.destination.kind"));
            var link = Assert.Single(a.Links);
            Assert.Equal(publish.TraceId, link.Context.TraceId);
            Assert.Equal(publish.SpanId, link.Context.SpanId);
        });

        // Every span of these traces (the request's, the publish's, the attempts' and anything under them): no URL, host or data.
        var traces = attempts.Select(a => a.TraceId).Append(publish.TraceId).ToHashSet();
        var mine = all.Where(s => traces.Contains(s.TraceId)).ToList();
        Assert.DoesNotContain(mine, s => s.Source.Name == "System.Net.Http");
        foreach (var span in mine)
        foreach (var (key, value) in span.TagObjects)
        {
            var text = value?.ToString() ?? "";
            Assert.DoesNotContain(token, text);
            Assert.DoesNotContain("https://", text);
            Assert.DoesNotContain("receiver.test", text);
        }

        // Nothing of the trace reaches the receiver.
        Assert.Equal(2, receiver.Received.Count);
        Assert.All(receiver.Received, r =>
        {
            Assert.False(r.Headers.ContainsKey("traceparent"));
            Assert.False(r.Headers.ContainsKey("tracestate"));
            Assert.False(r.Headers.ContainsKey("request-id"));
            Assert.False(r.Headers.ContainsKey("baggage"));
        });
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

    private static string? Tag(Activity span, string key) => span.TagObjects.FirstOrDefault(t => t.Key == key).Value?.ToString();
}
