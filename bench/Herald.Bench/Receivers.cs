using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Herald.Bench;

/// <summary>K loopback HTTP receivers in this process; each records when every event id first arrived and how often.</summary>
public sealed class Receivers : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];
    public List<int> Ports { get; } = [];
    public ConcurrentDictionary<(int Receiver, string EventId), long> FirstSeen { get; } = new();
    public long Total;
    public long Duplicates;
    /// <summary>Set by a drill to make receivers misbehave; null answers 200 at once.</summary>
    public Func<HttpContext, Task>? Behaviour { get; set; }

    public static async Task<Receivers> StartAsync(int count)
    {
        var receivers = new Receivers();
        for (var i = 0; i < count; i++)
        {
            var index = i;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.Run(async context =>
            {
                var id = context.Request.Headers["webhook-id"].ToString();
                if (id.Length == 0) id = context.Request.Headers["x-bench-id"].ToString();
                Interlocked.Increment(ref receivers.Total);
                if (!receivers.FirstSeen.TryAdd((index, id), Stopwatch.GetTimestamp())) Interlocked.Increment(ref receivers.Duplicates);
                await context.Request.Body.CopyToAsync(Stream.Null);
                if (receivers.Behaviour is { } behaviour) await behaviour(context);
            });
            await app.StartAsync();
            receivers._apps.Add(app);
            receivers.Ports.Add(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port);
        }
        return receivers;
    }

    public void Reset()
    {
        FirstSeen.Clear();
        Interlocked.Exchange(ref Total, 0);
        Interlocked.Exchange(ref Duplicates, 0);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps) await app.DisposeAsync();
    }
}
