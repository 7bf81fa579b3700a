using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// One Herald instance on a fresh database of the given store, through the real HTTP pipeline.
/// Bootstrap keys are fixed so tests can call the API at once.
/// </summary>
public sealed class HeraldFactory : WebApplicationFactory<Program>
{
    public const string AdminKey = "hk_admin_testtesttesttesttesttesttesttesttest";
    public const string OperatorKey = "hk_operator_testtesttesttesttesttesttesttest";

    private readonly Dictionary<string, string?> _settings;

    private HeraldFactory(string store, string dataDirectory, string? connectionString, Dictionary<string, string?> settings)
    {
        Store = store;
        DataDirectory = dataDirectory;
        ConnectionString = connectionString;
        _settings = new Dictionary<string, string?>
        {
            ["Herald:DataDirectory"] = dataDirectory,
            ["Herald:Storage:Provider"] = store,
            ["Herald:Storage:ConnectionString"] = connectionString,
            ["Herald:Bootstrap:AdminKey"] = AdminKey,
            ["Herald:Bootstrap:OperatorKey"] = OperatorKey,
        };
        if (store == Stores.Postgres) _settings["Herald:Secrets:MasterKey"] = TestMasterKey;
        foreach (var (key, value) in settings) _settings[key] = value;
    }

    /// <summary>PostgreSQL needs a configured master key; SQLite tests use the generated key file.</summary>
    public const string TestMasterKey = "dGVzdC1tYXN0ZXIta2V5LXRlc3QtbWFzdGVyLWtleSE=";

    public string Store { get; }
    public string DataDirectory { get; }
    public string? ConnectionString { get; }
    public LogCapture Logs { get; } = new();

    /// <summary>A new, empty database of <paramref name="store"/>; settings override the defaults above (null removes one).</summary>
    public static async Task<HeraldFactory> CreateAsync(string store, Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("herald-test-").FullName;
        var connectionString = store == Stores.Postgres ? await Stores.CreatePostgresDatabaseAsync() : null;
        return new HeraldFactory(store, dataDirectory, connectionString, settings ?? []) { _services = services };
    }

    private Action<IServiceCollection>? _services;

    /// <summary>Settings for destinations on the test receivers: loopback allowed, the test CA trusted, pinned hosts resolved to the receiver.</summary>
    public static Dictionary<string, string?> ReceiverSettings(int port, params string[] pinnedHosts)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Herald:Delivery:ExtraCaCertificates"] = TestCertificates.CaPemPath,
        };
        for (var i = 0; i < pinnedHosts.Length; i++)
            settings[$"Herald:Delivery:Resolve:{i}"] = $"{pinnedHosts[i]}:443=127.0.0.1:{port}";
        return settings;
    }

    /// <summary>A second instance on the same database and data directory, as after a restart.</summary>
    public HeraldFactory Restart(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var merged = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in settings ?? []) merged[key] = value;
        return new HeraldFactory(Store, DataDirectory, ConnectionString, merged) { _ownsStorage = false, _services = services ?? _services };
    }

    private bool _ownsStorage = true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
        if (_services is not null) builder.ConfigureServices(_services);
    }

    public HttpClient ClientWithKey(string? key)
    {
        var client = CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    public HttpClient Admin() => ClientWithKey(AdminKey);
    public HttpClient Operator() => ClientWithKey(OperatorKey);
    public HttpClient Anonymous() => ClientWithKey(null);

    /// <summary>Stops this instance (a graceful shutdown) and keeps its database for a <see cref="Restart"/>.</summary>
    public async Task DisposeStopOnlyAsync()
    {
        _ownsStorage = false;
        await base.DisposeAsync();
    }

    /// <summary>Drops the database and data directory of an instance stopped with <see cref="DisposeStopOnlyAsync"/>.</summary>
    public async Task DropStorageAsync()
    {
        if (ConnectionString is not null) await Stores.DropPostgresDatabaseAsync(ConnectionString);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!_ownsStorage) return;
        if (ConnectionString is not null) await Stores.DropPostgresDatabaseAsync(ConnectionString);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
