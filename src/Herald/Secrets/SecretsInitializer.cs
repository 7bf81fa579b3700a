using System.Security.Cryptography;
using Dapper;
using Herald.Common;
using Herald.Storage;

namespace Herald.Secrets;

/// <summary>
/// At start: refuses to run when the database holds values sealed with a master key that is not configured (a wrong or
/// lost key fails loudly instead of producing garbage), then loads or creates the sealed fingerprint key.
/// </summary>
public sealed class SecretsInitializer(Db db, KeyRing keys, Sealer sealer, Fingerprinter fingerprinter, TimeProvider time)
{
    private const string FingerprintKeyName = "fingerprint_key";

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenAsync(ct);
        foreach (var column in SealedColumns.All)
        {
            var keyIds = await connection.QueryAsync<string>(new CommandDefinition(
                $"SELECT DISTINCT substr({column.ValueColumn}, 4, 11) FROM {column.Table} WHERE {column.ValueColumn} IS NOT NULL",
                cancellationToken: ct));
            var unknown = keyIds.Where(id => keys.Find(id) is null).ToList();
            if (unknown.Count > 0)
                throw new StartupException(
                    $"The database holds secrets sealed with master key {string.Join(", ", unknown)}, which is not configured " +
                    $"(configured: {string.Join(", ", keys.KeyIds)}). Set Herald:Secrets:MasterKey to that key, or list it in " +
                    "Herald:Secrets:PreviousKeys after a rotation.");
        }

        var sealedKey = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT value_sealed FROM herald_secrets WHERE name = @name", new { name = FingerprintKeyName }, cancellationToken: ct));
        if (sealedKey is null)
        {
            var fresh = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            var value = sealer.Seal(fresh, SealedColumns.HeraldSecret.Context(FingerprintKeyName));
            // Another node may have created it a moment ago: keep theirs.
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO herald_secrets (name, value_sealed, created_at) VALUES (@name, @value, @now) ON CONFLICT (name) DO NOTHING",
                new { name = FingerprintKeyName, value, now = time.NowMs() }, cancellationToken: ct));
            sealedKey = await connection.QuerySingleAsync<string>(new CommandDefinition(
                "SELECT value_sealed FROM herald_secrets WHERE name = @name", new { name = FingerprintKeyName }, cancellationToken: ct));
        }

        try
        {
            fingerprinter.Load(Convert.FromBase64String(sealer.Open(sealedKey, SealedColumns.HeraldSecret.Context(FingerprintKeyName))));
        }
        catch (SealedValueException e)
        {
            throw new StartupException($"The configured master key cannot open Herald's sealed data: {e.Message}");
        }
    }
}
