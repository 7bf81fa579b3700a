using Npgsql;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// The two stores every store test runs against. PostgreSQL tests need HERALD_TEST_POSTGRES (a connection string whose
/// role may create databases); without it they skip with a reason, unless HERALD_REQUIRE_POSTGRES=1 (CI), where they fail.
/// </summary>
public static class Stores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private static int _skipNoticePrinted;

    public static TheoryData<string> All => new(Sqlite, Postgres);

    public static string? PostgresAdminConnectionString => Environment.GetEnvironmentVariable("HERALD_TEST_POSTGRES");

    public static void RequirePostgres()
    {
        if (!string.IsNullOrEmpty(PostgresAdminConnectionString)) return;
        const string reason = "PostgreSQL test skipped: set HERALD_TEST_POSTGRES to a connection string (e.g. Host=127.0.0.1;Username=herald;Password=herald;Database=postgres).";
        if (Environment.GetEnvironmentVariable("HERALD_REQUIRE_POSTGRES") == "1")
            Assert.Fail("HERALD_REQUIRE_POSTGRES=1 but " + reason);
        if (Interlocked.Exchange(ref _skipNoticePrinted, 1) == 0) TestContext.Current.SendDiagnosticMessage("NOTICE: " + reason);
        Assert.Skip(reason);
    }

    /// <summary>Creates an empty database for one test and returns its connection string.</summary>
    public static async Task<string> CreatePostgresDatabaseAsync()
    {
        RequirePostgres();
        var name = "herald_t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(PostgresAdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(PostgresAdminConnectionString) { Database = name }.ConnectionString;
    }

    public static async Task DropPostgresDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(PostgresAdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
