using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Herald.Tests.Delivery;

/// <summary>Real Herald processes killed mid-delivery: every acknowledged event still reaches its receiver at least once.</summary>
public sealed class CrashAndNodesTests
{
    private const int Events = 300;
    private const int PerDestinationConcurrency = 4;

    private static Dictionary<string, string?> NodeEnvironment(string? postgres = null) => new()
    {
        ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
        ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        ["Herald__Delivery__AllowHttp"] = "true",
        ["Herald__Delivery__AllowedNetworks__0"] = "127.0.0.0/8",
        ["Herald__Delivery__LeaseDuration"] = "00:00:03",
        ["Herald__Delivery__Timeout"] = "00:00:01.500",
        ["Herald__Delivery__PollInterval"] = "00:00:00.100",
        ["Herald__Delivery__PerDestinationConcurrency"] = PerDestinationConcurrency.ToString(),
        ["Herald__Storage__Provider"] = postgres is null ? "sqlite" : "postgres",
        ["Herald__Storage__ConnectionString"] = postgres,
        ["Herald__Secrets__MasterKey"] = postgres is null ? null : HeraldFactory.TestMasterKey,
    };

    /// <summary>A receiver that answers slowly (so delivery is still going when a node dies) and counts each event id it sees.</summary>
    private static async Task<(TestReceiver Receiver, ConcurrentDictionary<string, int> Seen)> SlowReceiverAsync()
    {
        var receiver = await TestReceiver.StartAsync(https: false);
        var seen = new ConcurrentDictionary<string, int>();
        receiver.Respond = async context =>
        {
            seen.AddOrUpdate(context.Request.Headers["webhook-id"].ToString(), 1, (_, n) => n + 1);
            await Task.Delay(15);
            await context.Response.WriteAsync("ok");
        };
        return (receiver, seen);
    }

    private static HttpClient Client(HeraldProcess node)
    {
        var client = new HttpClient { BaseAddress = node.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        return client;
    }

    private static async Task<List<string>> PublishAsync(HttpClient client, int count)
    {
        var ids = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var response = await client.PostAsJsonAsync("/v1/events", new { type = "db.insert", data = new { i } }, ct);
            var e = await response.Json(HttpStatusCode.Accepted);
            ids.Add(e.Str("id"));
        });
        return ids.ToList();
    }

    [Fact]
    public async Task Sqlite_node_killed_mid_delivery_delivers_everything_after_restart()
    {
        var (receiver, seen) = await SlowReceiverAsync();
        await using var _r = receiver;
        var directory = Directory.CreateTempSubdirectory("herald-crash-").FullName;
        var environment = NodeEnvironment();

        List<string> accepted;
        await using (var node = HeraldProcess.Start(directory, environment))
        {
            await node.WaitUntilHealthyAsync();
            using var client = Client(node);
            await client.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receiver.Port}/hook" })
                .Json(HttpStatusCode.Created);
            accepted = await PublishAsync(client, Events);
            await Eventually.TrueAsync(() => Task.FromResult(seen.Count >= Events / 4), "some deliveries before the crash");
            node.Kill(); // kill -9: no shutdown code runs
        }
        var beforeRestart = seen.Count;
        Assert.True(beforeRestart < Events, "the crash came too late to test anything");

        await using var restarted = HeraldProcess.Start(directory, environment);
        await restarted.WaitUntilHealthyAsync();
        await Eventually.TrueAsync(() => Task.FromResult(accepted.All(seen.ContainsKey)), "every accepted event delivered", TimeSpan.FromSeconds(60));
        var duplicates = seen.Values.Sum(n => n - 1);
        TestContext.Current.SendDiagnosticMessage($"SQLite crash drill: {accepted.Count} accepted, {beforeRestart} delivered before kill -9, all delivered after restart, {duplicates} duplicate(s).");
        // At least once: sends whose outcome was not yet written when the node died go out again. They must stay a small share.
        Assert.True(duplicates < Events / 4, $"{duplicates} duplicates");
    }

    [Fact]
    public async Task Two_postgres_nodes_share_the_work_and_the_survivor_finishes_when_one_is_killed()
    {
        var connectionString = await Stores.CreatePostgresDatabaseAsync();
        try
        {
            var (receiver, seen) = await SlowReceiverAsync();
            await using var _r = receiver;
            var environment = NodeEnvironment(connectionString);
            await using var a = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-node-a-").FullName, environment);
            await a.WaitUntilHealthyAsync();
            await using var b = HeraldProcess.Start(Directory.CreateTempSubdirectory("herald-node-b-").FullName, environment);
            await b.WaitUntilHealthyAsync();

            using var clientA = Client(a);
            using var clientB = Client(b);
            await clientA.PostAsJsonAsync("/v1/destinations", new { kind = "webhook", url = $"http://127.0.0.1:{receiver.Port}/hook" })
                .Json(HttpStatusCode.Created);
            var accepted = (await Task.WhenAll(PublishAsync(clientA, Events / 2), PublishAsync(clientB, Events / 2))).SelectMany(x => x).ToList();

            await Eventually.TrueAsync(() => Task.FromResult(seen.Count >= Events / 3), "both nodes delivering");
            b.Kill();
            await Eventually.TrueAsync(() => Task.FromResult(accepted.All(seen.ContainsKey)), "node A finishes every accepted event", TimeSpan.FromSeconds(60));
            var duplicates = seen.Values.Sum(n => n - 1);
            TestContext.Current.SendDiagnosticMessage($"Two-node drill: {accepted.Count} accepted, node B killed at {Events / 3}+ delivered, all delivered by node A, {duplicates} duplicate(s).");
            Assert.True(duplicates < Events / 4, $"{duplicates} duplicates");
            Assert.Contains("Delivery worker", a.Output);
        }
        finally
        {
            await Stores.DropPostgresDatabaseAsync(connectionString);
        }
    }
}
