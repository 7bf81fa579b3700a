using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Tests.Infrastructure;

/// <summary>A real Kestrel server on 127.0.0.1 that records what it receives and answers as the test says.</summary>
public sealed class TestReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly SemaphoreSlim _arrivals = new(0);

    private TestReceiver(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public IReadOnlyCollection<ReceivedRequest> Received => _received;

    /// <summary>How the receiver answers; by default 200 "ok". Replace it at any time.</summary>
    public Func<HttpContext, Task> Respond { get; set; } = context => context.Response.WriteAsync("ok");

    public static async Task<TestReceiver> StartAsync(bool https = true, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (https) listen.UseHttps(certificate ?? TestCertificates.Server);
        }));
        var app = builder.Build();
        TestReceiver? receiver = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var request = new ReceivedRequest(context.Request.Method, context.Request.Host.Value ?? "", context.Request.Path + context.Request.QueryString,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, DateTimeOffset.UtcNow);
            receiver!._received.Enqueue(request);
            receiver._arrivals.Release();
            await receiver.Respond(context);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver = new TestReceiver(app, new Uri(address).Port);
        return receiver;
    }

    /// <summary>Waits until <paramref name="count"/> requests have arrived in total.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (_received.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrivals.WaitAsync(left))
                Assert.Fail($"Expected {count} request(s) at the receiver, got {_received.Count}.");
        }
        return _received.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Method, string Host, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body,
    DateTimeOffset At);
