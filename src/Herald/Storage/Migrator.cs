using System.Reflection;
using DbUp;
using DbUp.Engine;
using DbUp.Engine.Output;
using Microsoft.Data.Sqlite;

namespace Herald.Storage;

/// <summary>Applies the versioned SQL scripts under Storage/Migrations/{Sqlite|Postgres} with DbUp.</summary>
public sealed class Migrator(Db db, ILogger<Migrator> logger)
{
    public IReadOnlyList<string> Migrate()
    {
        var folder = db.Kind == StoreKind.Postgres ? "Postgres" : "Sqlite";
        var prefix = $"{typeof(Migrator).Namespace}.Migrations.{folder}.";
        var builder = db.Kind == StoreKind.Postgres
            ? DeployChanges.To.PostgresqlDatabase(db.ConnectionString)
            : DeployChanges.To.SqliteDatabase(db.ConnectionString);

        if (db.Kind == StoreKind.Sqlite) EnableWal();

        var upgrader = builder
            .WithScriptsEmbeddedInAssembly(Assembly.GetExecutingAssembly(), name => name.StartsWith(prefix, StringComparison.Ordinal))
            .WithTransactionPerScript()
            .LogTo(new DbUpLog(logger))
            .Build();

        var result = upgrader.PerformUpgrade();
        if (!result.Successful)
            throw new InvalidOperationException($"Database migration failed in script '{result.ErrorScript?.Name}': {result.Error.Message}", result.Error);

        var applied = result.Scripts.Select(s => s.Name[prefix.Length..]).ToList();
        if (applied.Count > 0) logger.LogInformation("Applied {Count} migration(s): {Scripts}", applied.Count, string.Join(", ", applied));
        return applied;
    }

    private void EnableWal()
    {
        using var connection = new SqliteConnection(db.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode = WAL;";
        command.ExecuteNonQuery();
    }

    private sealed class DbUpLog(ILogger logger) : IUpgradeLog
    {
        public void LogTrace(string format, params object[] args) { }
        public void LogDebug(string format, params object[] args) { }
        public void LogInformation(string format, params object[] args) { }
        public void LogWarning(string format, params object[] args) => logger.LogWarning("Migration: {Message}", string.Format(format, args));
        public void LogError(string format, params object[] args) => logger.LogError("Migration: {Message}", string.Format(format, args));
        public void LogError(Exception ex, string format, params object[] args) => logger.LogError(ex, "Migration: {Message}", string.Format(format, args));
    }
}
