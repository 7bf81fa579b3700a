using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Herald.Options;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Herald.Tests.Storage;

/// <summary>
/// Honest storage faults: a store that cannot take a write is answered 503 storage_unavailable with Retry-After within
/// Herald:Storage:WriteTimeout (never a hang, a 500 or a 202 for an event that was not stored), logged once per interval,
/// /readyz says so within 2 s, and Herald recovers by itself when the fault clears.
/// </summary>
public sealed class StorageFaultTests
{
    private static Dictionary<string, string?> Settings(string writeTimeout = "00:00:01") => new()
    {
        ["Herald:Delivery:Worker"] = "false",
        ["Herald:Storage:WriteTimeout"] = writeTimeout,
    };

    private static HttpRequestMessage Publish(object data, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/events") { Content = JsonContent.Create(new { type = "db.insert", data }) };
        if (idempotencyKey is not null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        return request;
    }

    private static async Task AssertStorageUnavailableAsync(HttpResponseMessage response)
    {
        var problem = await response.Problem(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.Equal(TimeSpan.FromSeconds(StorageFault.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        Assert.Contains("Idempotency-Key", problem.GetProperty("detail").GetString());
    }

    private static async Task<int> EventCountAsync(HttpClient admin) =>
        (await admin.GetAsync("/v1/events?limit=200").Json(HttpStatusCode.OK)).GetProperty("data").GetArrayLength();

    [Fact]
    public void Storage_faults_are_told_from_bugs_in_one_place()
    {
        Assert.Equal("SqliteException SQLITE_FULL", StorageFault.Classify(new SqliteException("database or disk is full", 13)));
        Assert.Equal("SqliteException SQLITE_BUSY", StorageFault.Classify(new SqliteException("database is locked", 5)));
        Assert.Equal("SqliteException SQLITE_IOERR", StorageFault.Classify(new SqliteException("disk I/O error", 10, 778))); // IOERR_WRITE
        Assert.Equal("SqliteException SQLITE_READONLY", StorageFault.Classify(new SqliteException("readonly", 8)));
        Assert.Null(StorageFault.Classify(new SqliteException("UNIQUE constraint failed", 19)));
        Assert.Null(StorageFault.Classify(new SqliteException("syntax error", 1)));

        foreach (var state in new[] { "08006", "08001", "57P01", "57P03", "53100", "53300", "58030", "57014", "3D000" })
            Assert.Equal($"PostgresException {state}", StorageFault.Classify(new PostgresException("x", "FATAL", "FATAL", state)));
        Assert.Null(StorageFault.Classify(new PostgresException("duplicate key", "ERROR", "ERROR", "23505")));
        Assert.Null(StorageFault.Classify(new PostgresException("syntax", "ERROR", "ERROR", "42601")));

        Assert.Equal("NpgsqlException timeout", StorageFault.Classify(new NpgsqlException("Exception while reading from stream", new TimeoutException())));
        Assert.Equal("TimeoutException", StorageFault.Classify(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.Equal("SqliteException SQLITE_FULL", StorageFault.Classify(new AggregateException(new SqliteException("full", 13))));
        Assert.Equal("x", StorageFault.Classify(new StorageUnavailableException("x")));
        Assert.Null(StorageFault.Classify(new InvalidOperationException("a bug")));
        Assert.Null(StorageFault.Classify(new OperationCanceledException()));
    }

    [Fact]
    public void The_write_timeout_and_free_space_threshold_are_checked_at_start()
    {
        var defaults = new HeraldOptions();
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.Storage.WriteTimeout);
        Assert.Equal(64L * 1024 * 1024, defaults.Storage.MinFreeBytes);
        var validator = new HeraldOptionsValidator();
        Assert.Contains("Herald:Storage:WriteTimeout",
            validator.Validate(null, new HeraldOptions { Storage = { WriteTimeout = TimeSpan.Zero } }).FailureMessage);
        Assert.Contains("Herald:Storage:MinFreeBytes",
            validator.Validate(null, new HeraldOptions { Storage = { MinFreeBytes = -1 } }).FailureMessage);
        Assert.True(validator.Validate(null, new HeraldOptions { Storage = { MinFreeBytes = 0, WriteTimeout = TimeSpan.FromMilliseconds(200) } }).Succeeded);
    }

    [Fact]
    public async Task A_full_SQLite_database_answers_503_stores_nothing_logs_a_count_and_recovers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings(), services => services.AddSingleton<TimeProvider>(time));
        var admin = herald.Admin();
        await admin.PublishAsync("db.insert", new { before = true });
        var db = herald.Services.GetRequiredService<Db>();
        long pages;
        await using (var connection = new SqliteConnection(db.ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA page_count";
            pages = (long)(await command.ExecuteScalarAsync())!;
        }
        db.SqliteTestPragmas = $"PRAGMA max_page_count = {pages};"; // the disk is full: the database file cannot grow

        var filler = new string('x', 8000);
        var accepted = 1;
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 100 && refused is null; i++)
        {
            var response = await admin.SendAsync(Publish(new { filler, i }));
            if (response.StatusCode == HttpStatusCode.Accepted) accepted++;
            else refused = response;
        }
        Assert.NotNull(refused);
        await AssertStorageUnavailableAsync(refused);
        for (var i = 0; i < 20; i++) await AssertStorageUnavailableAsync(await admin.SendAsync(Publish(new { filler, again = i }, "retry-me")));
        Assert.Equal(accepted, await EventCountAsync(admin)); // reads still work; nothing refused was stored

        // 21 refusals: one line saying so, none per request, no stack trace; the count comes with the next line after the interval.
        Assert.Single(herald.Logs.Lines, l => l.Contains("request(s) refused"));
        Assert.DoesNotContain(herald.Logs.Lines, l => l.Contains("Unhandled error") || l.Contains("   at "));
        time.Advance(StorageFaultLog.Interval + TimeSpan.FromSeconds(1));
        await AssertStorageUnavailableAsync(await admin.SendAsync(Publish(new { filler, last = true })));
        Assert.Contains(herald.Logs.Lines, l => l.Contains("Storage unavailable: 21 request(s) refused in the last 11 s (SqliteException SQLITE_FULL)"));

        db.SqliteTestPragmas = "PRAGMA max_page_count = 2147483646;"; // space freed
        var retried = await admin.SendAsync(Publish(new { filler, again = 0 }, "retry-me"));
        await retried.Json(HttpStatusCode.Accepted);
        Assert.False(retried.Headers.Contains("Idempotent-Replayed")); // the refused publish had stored nothing under its key
        Assert.Equal(accepted + 1, await EventCountAsync(admin));
    }

    [Fact]
    public async Task A_SQLite_database_locked_beyond_the_write_timeout_answers_503_in_time_and_recovers_when_released()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, Settings());
        var admin = herald.Admin();
        await admin.PublishAsync("db.insert", new { before = true });
        var db = herald.Services.GetRequiredService<Db>();

        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder(db.ConnectionString) { Pooling = false }.ToString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }
        var watch = Stopwatch.StartNew();
        await AssertStorageUnavailableAsync(await admin.SendAsync(Publish(new { locked = true })));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3)); // the write timeout is 1 s
        watch.Restart();
        await herald.Anonymous().GetAsync("/readyz").Problem(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"/readyz took {watch.Elapsed}");

        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        await Eventually.TrueAsync(async () => (await herald.Anonymous().GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "ready again");
        await admin.PublishAsync("db.insert", new { after = true });
        Assert.Equal(2, await EventCountAsync(admin));
    }

    [Fact]
    public async Task Readyz_is_unready_when_the_data_directory_has_less_free_space_than_the_threshold()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Storage:MinFreeBytes"] = (long.MaxValue / 2).ToString() });
        var problem = await herald.Anonymous().GetAsync("/readyz").Problem(HttpStatusCode.ServiceUnavailable, "storage_unavailable");
        Assert.Contains("Herald__Storage__MinFreeBytes", problem.GetProperty("detail").GetString());

        await using var fine = await HeraldFactory.CreateAsync(Stores.Sqlite);
        Assert.Equal("ready", (await fine.Anonymous().GetAsync("/readyz").Json(HttpStatusCode.OK)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_PostgreSQL_server_that_goes_away_answers_503_quickly_and_Herald_recovers_when_it_returns()
    {
        await using var proxy = await StartBehindProxyAsync();
        var (herald, admin) = (proxy.Herald, proxy.Herald.Admin());
        await admin.PublishAsync("db.insert", new { before = true });

        proxy.Relay.Down();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            await AssertStorageUnavailableAsync(await admin.SendAsync(Publish(new { down = i })));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"publish took {watch.Elapsed}");
        }
        var ready = Stopwatch.StartNew();
        await herald.Anonymous().GetAsync("/readyz").Problem(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(ready.Elapsed < TimeSpan.FromSeconds(2), $"/readyz took {ready.Elapsed}");
        Assert.DoesNotContain(herald.Logs.Lines, l => l.Contains("Unhandled error") || l.Contains("   at "));

        proxy.Relay.Restore();
        await Eventually.TrueAsync(async () => (await admin.SendAsync(Publish(new { after = true }))).StatusCode == HttpStatusCode.Accepted, "publishing again");
        await herald.Anonymous().GetAsync("/readyz").Json(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_frozen_PostgreSQL_server_answers_503_within_the_write_timeout_and_readyz_within_2_s()
    {
        await using var proxy = await StartBehindProxyAsync();
        var (herald, admin) = (proxy.Herald, proxy.Herald.Admin());
        await admin.PublishAsync("db.insert", new { before = true });

        proxy.Relay.Freeze();
        var watch = Stopwatch.StartNew();
        var publishes = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => admin.SendAsync(Publish(new { frozen = i }))));
        foreach (var response in publishes) await AssertStorageUnavailableAsync(response);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3.5), $"publishes took {watch.Elapsed}"); // write timeout 1 s
        watch.Restart();
        await herald.Anonymous().GetAsync("/readyz").Problem(HttpStatusCode.ServiceUnavailable, "database_unavailable");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"/readyz took {watch.Elapsed}");

        proxy.Relay.Restore();
        await Eventually.TrueAsync(async () => (await admin.SendAsync(Publish(new { after = true }))).StatusCode == HttpStatusCode.Accepted, "publishing again");
        await herald.Anonymous().GetAsync("/readyz").Json(HttpStatusCode.OK);
    }

    /// <summary>A Herald on a fresh PostgreSQL database reached through a <see cref="TcpFaultProxy"/>.</summary>
    private static async Task<ProxiedHerald> StartBehindProxyAsync()
    {
        Stores.RequirePostgres();
        var direct = new NpgsqlConnectionStringBuilder(Stores.PostgresAdminConnectionString);
        var relay = TcpFaultProxy.Start(direct.Host!, direct.Port);
        var settings = Settings();
        var herald = await HeraldFactory.CreateAsync(Stores.Postgres, settings);
        var proxied = new NpgsqlConnectionStringBuilder(herald.ConnectionString) { Host = "127.0.0.1", Port = relay.Port }.ConnectionString;
        var running = herald.Restart(new() { ["Herald:Storage:ConnectionString"] = proxied });
        return new ProxiedHerald(herald, running, relay);
    }

    private sealed class ProxiedHerald(HeraldFactory owner, HeraldFactory herald, TcpFaultProxy relay) : IAsyncDisposable
    {
        public HeraldFactory Herald { get; } = herald;
        public TcpFaultProxy Relay { get; } = relay;

        public async ValueTask DisposeAsync()
        {
            Relay.Restore();
            await Herald.DisposeAsync();
            await Relay.DisposeAsync();
            await owner.DisposeAsync(); // drops the database
        }
    }
}
