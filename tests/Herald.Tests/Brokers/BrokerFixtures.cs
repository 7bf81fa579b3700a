using Herald.Destinations.Kinds.Nats;
using Herald.Destinations.Kinds.RabbitMq;
using Herald.Net;
using Herald.Options;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Brokers;

/// <summary>One RabbitMQ node shared by a test class; a test that uses it skips (or, under HERALD_REQUIRE_RABBITMQ=1, fails) without RabbitMQ.</summary>
public sealed class RabbitMqFixture : IAsyncLifetime
{
    private RabbitMqServer? _server;
    private string? _failure;

    public RabbitMqServer Server
    {
        get
        {
            if (RabbitMqServer.Unavailable() is { } reason) BrokerServers.SkipOrFail(RabbitMqServer.RequireVariable, reason);
            return _server ?? throw new InvalidOperationException("RabbitMQ did not start: " + _failure);
        }
    }

    public async ValueTask InitializeAsync()
    {
        if (RabbitMqServer.Unavailable() is not null) return;
        try { _server = await RabbitMqServer.StartAsync(); }
        catch (Exception e) { _failure = e.Message; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>One nats-server with JetStream shared by a test class, and one with a user and password.</summary>
public sealed class NatsFixture : IAsyncLifetime
{
    public const string User = "herald";
    public const string Password = "n4ts-s3cret-pass";

    private NatsServer? _server;
    private NatsServer? _secured;
    private string? _failure;

    public NatsServer Server => Ready(_server);
    public NatsServer Secured => Ready(_secured);

    private NatsServer Ready(NatsServer? server)
    {
        if (NatsServer.Unavailable() is { } reason) BrokerServers.SkipOrFail(NatsServer.RequireVariable, reason);
        return server ?? throw new InvalidOperationException("nats-server did not start: " + _failure);
    }

    public async ValueTask InitializeAsync()
    {
        if (NatsServer.Unavailable() is not null) return;
        try
        {
            _server = await NatsServer.StartAsync();
            _secured = await NatsServer.StartAsync(User, Password);
        }
        catch (Exception e) { _failure = e.Message; }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        if (_secured is not null) await _secured.DisposeAsync();
    }
}

/// <summary>The broker clients as Herald builds them (real network rules, resolver, metrics), outside a web host.</summary>
public static class BrokerClients
{
    public static ServiceProvider Create(Action<HeraldOptions>? configure = null, bool fakeResolver = false)
    {
        var options = new HeraldOptions();
        options.Delivery.AllowedNetworks.Add("127.0.0.0/8");
        options.Delivery.Timeout = TimeSpan.FromSeconds(20);
        options.Delivery.ConnectTimeout = TimeSpan.FromSeconds(10);
        configure?.Invoke(options);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<IOptions<HeraldOptions>>(Microsoft.Extensions.Options.Options.Create(options));
        services.AddSingleton<Herald.Observability.HeraldMetrics>();
        services.AddHeraldNet();
        if (fakeResolver) services.AddSingleton<HostResolver, FakeResolver>();
        services.AddSingleton<RabbitMqClient>();
        services.AddSingleton<NatsClient>();
        return services.BuildServiceProvider();
    }

    public static BrokerMessage Message(string id, string type = "order.created", string body = "{\"hello\":\"world\"}",
        params KeyValuePair<string, string>[] headers) =>
        new(id, type, DateTimeOffset.FromUnixTimeSeconds(1_760_000_000), System.Text.Encoding.UTF8.GetBytes(body), "application/json", headers);
}
