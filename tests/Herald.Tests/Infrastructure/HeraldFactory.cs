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
        foreach (var (key, value) in settings) _settings[key] = value;
    }

    public string Store { get; }
    public string DataDirectory { get; }
    public string? ConnectionString { get; }
    public LogCapture Logs { get; } = new();

    /// <summary>A new, empty database of <paramref name="store"/>; settings override the defaults above (null removes one).</summary>
    public static async Task<HeraldFactory> CreateAsync(string store, Dictionary<string, string?>? settings = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("herald-test-").FullName;
        var connectionString = store == Stores.Postgres ? await Stores.CreatePostgresDatabaseAsync() : null;
        return new HeraldFactory(store, dataDirectory, connectionString, settings ?? []);
    }

    /// <summary>A second instance on the same database and data directory, as after a restart.</summary>
    public HeraldFactory Restart(Dictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in settings ?? []) merged[key] = value;
        return new HeraldFactory(Store, DataDirectory, ConnectionString, merged) { _ownsStorage = false };
    }

    private bool _ownsStorage = true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging.AddProvider(Logs));
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

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (!_ownsStorage) return;
        if (ConnectionString is not null) await Stores.DropPostgresDatabaseAsync(ConnectionString);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }
}
