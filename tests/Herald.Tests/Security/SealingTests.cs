using System.Net;
using System.Security.Cryptography;
using Dapper;
using Herald.Secrets;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

public sealed class SealingTests
{
    private const string SlackUrl = "https://hooks.slack.com/services/T0SEAL/B0SEAL/SEALEDTOKEN123456";
    private const string WebhookSecret = "whsec_c2VhbGluZy10ZXN0LXNlY3JldC0xMjM0NQ==";

    [Fact]
    public void Sealed_values_open_only_with_their_key_and_context_and_never_repeat()
    {
        var key = MasterKey.Generate();
        var sealer = new Sealer(new KeyRing(key, []));
        var a = sealer.Seal("https://example.com/token", "destinations.url_sealed:1");
        var b = sealer.Seal("https://example.com/token", "destinations.url_sealed:1");
        Assert.NotEqual(a, b); // random nonce per value
        Assert.StartsWith($"v1.{key.Id}.", a);
        Assert.DoesNotContain("token", a);
        Assert.Equal("https://example.com/token", sealer.Open(a, "destinations.url_sealed:1"));
        Assert.Throws<SealedValueException>(() => sealer.Open(a, "destinations.url_sealed:2")); // moved to another row
        Assert.Throws<SealedValueException>(() => new Sealer(new KeyRing(MasterKey.Generate(), [])).Open(a, "destinations.url_sealed:1"));

        var tampered = a[..^3] + (a[^3] == 'A' ? "B" : "A") + a[^2..];
        Assert.Throws<SealedValueException>(() => sealer.Open(tampered, "destinations.url_sealed:1"));

        var rotated = new Sealer(new KeyRing(MasterKey.Generate(), [key]));
        Assert.Equal("https://example.com/token", rotated.Open(a, "destinations.url_sealed:1")); // old values stay readable
        Assert.False(rotated.IsSealedWithCurrentKey(a));
    }

    [Fact]
    public void Master_keys_must_be_base64_of_32_bytes()
    {
        Assert.False(MasterKey.TryParse("not base64!", out _, out var error));
        Assert.Contains("base64", error);
        Assert.False(MasterKey.TryParse(Convert.ToBase64String(new byte[16]), out _, out error));
        Assert.Contains("32 bytes", error);
        Assert.True(MasterKey.TryParse(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), out var key, out _));
        Assert.Matches("^mk_[0-9a-f]{8}$", key!.Id);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task The_database_never_holds_a_plaintext_url_header_or_secret(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new() { ["Herald:Delivery:AllowedNetworks:0"] = "93.184.216.0/24" });
        var admin = herald.Admin();
        var slack = await admin.PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl }).Json(HttpStatusCode.Created);
        var hook = await admin.PostJson("/v1/destinations", new
        {
            kind = "webhook", url = "https://93.184.216.34/hooks/WEBHOOKTOKEN987654", secret = WebhookSecret,
            headers = new Dictionary<string, string> { ["Authorization"] = "Bearer HEADERTOKEN555666" },
        }).Json(HttpStatusCode.Created);
        Assert.Equal(JsonNull, hook.GetProperty("signing_secret").ValueKind); // caller-chosen secrets are not echoed

        await using var connection = await herald.Services.GetRequiredService<Db>().OpenAsync();
        var raw = string.Join("\n", (await connection.QueryAsync("SELECT * FROM destinations"))
            .Concat(await connection.QueryAsync("SELECT * FROM herald_secrets"))
            .SelectMany(row => ((IDictionary<string, object?>)row).Values.Select(v => v?.ToString())));
        foreach (var secret in new[] { "SEALEDTOKEN123456", "WEBHOOKTOKEN987654", "HEADERTOKEN555666", WebhookSecret, WebhookSecret[6..], "hooks/" })
            Assert.DoesNotContain(secret, raw);
        Assert.Contains("hooks.slack.com", raw); // the host is kept readable on purpose
        Assert.Contains(slack.GetProperty("destination").Str("secret_fingerprint"), raw);
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Rotation_keeps_old_values_readable_and_reseal_moves_everything_to_the_new_key(string store)
    {
        await using var receiver = await TestReceiver.StartAsync();
        var oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var settings = HeraldFactory.ReceiverSettings(receiver.Port, "hooks.slack.com");
        settings["Herald:Secrets:MasterKey"] = oldKey;
        await using var first = await HeraldFactory.CreateAsync(store, settings);
        var id = (await first.Admin().PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl }).Json(HttpStatusCode.Created))
            .GetProperty("destination").Str("id");
        var fingerprint = (await first.Admin().GetAsync($"/v1/destinations/{id}").Json(HttpStatusCode.OK)).Str("secret_fingerprint");

        await using var rotated = first.Restart(new() { ["Herald:Secrets:MasterKey"] = newKey, ["Herald:Secrets:PreviousKeys:0"] = oldKey });
        Assert.Equal("delivered_200", (await rotated.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK)).Str("status"));
        await rotated.Admin().PostAsync("/v1/secrets/reseal", null).Problem(HttpStatusCode.Forbidden, "forbidden");
        var reseal = await rotated.Operator().PostAsync("/v1/secrets/reseal", null).Json(HttpStatusCode.OK);
        Assert.True(reseal.GetProperty("resealed").GetInt32() >= 2); // the URL and the fingerprint key
        var newKeyId = reseal.Str("current_key_id");

        await using (var connection = await rotated.Services.GetRequiredService<Db>().OpenAsync())
        {
            var keyIds = (await connection.QueryAsync<string>("SELECT url_sealed FROM destinations UNION ALL SELECT value_sealed FROM herald_secrets"))
                .Select(Sealer.KeyIdOf).Distinct().ToList();
            Assert.Equal([newKeyId], keyIds);
        }

        await using var onlyNew = first.Restart(new() { ["Herald:Secrets:MasterKey"] = newKey, ["Herald:Secrets:PreviousKeys:0"] = null });
        Assert.Equal("delivered_200", (await onlyNew.Admin().PostAsync($"/v1/destinations/{id}/test", null).Json(HttpStatusCode.OK)).Str("status"));
        Assert.Equal(fingerprint, (await onlyNew.Admin().GetAsync($"/v1/destinations/{id}").Json(HttpStatusCode.OK)).Str("secret_fingerprint"));
        Assert.Equal(2, receiver.Received.Count);
    }

    [Fact]
    public async Task Embedded_default_generates_a_private_key_file_and_a_wrong_key_fails_start_clearly()
    {
        var directory = Directory.CreateTempSubdirectory("herald-key-").FullName;
        var environment = new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        };
        await using (var first = HeraldProcess.Start(directory, environment))
        {
            await first.WaitUntilHealthyAsync();
            var keyFile = Path.Combine(directory, "data", "master.key");
            Assert.True(File.Exists(keyFile));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), first.Output);
            using var client = new HttpClient { BaseAddress = first.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
            var created = await client.PostJson("/v1/destinations", new { kind = "slack", url = SlackUrl });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        environment["Herald__Secrets__MasterKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var wrong = HeraldProcess.Start(directory, environment);
        Assert.Equal(1, await wrong.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("sealed with master key mk_", wrong.Output);
        Assert.Contains("Herald:Secrets:MasterKey", wrong.Output);
        Assert.DoesNotContain("   at ", wrong.Output);

        File.WriteAllText(Path.Combine(directory, "data", "master.key"), "garbage");
        environment.Remove("Herald__Secrets__MasterKey");
        await using var garbage = HeraldProcess.Start(directory, environment);
        Assert.Equal(1, await garbage.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("master key file", garbage.Output);
    }

    [Fact]
    public async Task Postgres_without_a_master_key_refuses_to_start()
    {
        var directory = Directory.CreateTempSubdirectory("herald-pgkey-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?>
        {
            ["Herald__Storage__Provider"] = "postgres",
            ["Herald__Storage__ConnectionString"] = "Host=127.0.0.1;Database=none",
        });
        Assert.Equal(1, await herald.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Herald:Secrets:MasterKey is required with PostgreSQL", herald.Output);
    }
}
