using System.Diagnostics;
using Dapper;
using Herald.Storage;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Storage;

/// <summary>
/// SQLite's kept write connection: a statement is compiled once per SQL text and reused, with fresh parameters and the
/// connection's open transaction each time; a statement still in use is never handed out twice.
/// </summary>
public sealed class SqliteWriterTests
{
    private static async Task<CachingSqliteConnection> OpenAsync()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("herald-writer-").FullName, "t.db");
        var connection = new CachingSqliteConnection($"Data Source={file};Pooling=False");
        await connection.OpenAsync();
        await connection.ExecuteAsync("CREATE TABLE t (a INTEGER, b TEXT)");
        return connection;
    }

    [Fact]
    public async Task A_statement_is_compiled_once_per_text_and_reused_with_fresh_parameters()
    {
        await using var connection = await OpenAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            // One statement run per row (as Herald's hot inserts are), then the same text again in a later call.
            await connection.ExecuteAsync("INSERT INTO t (a, b) VALUES (@a, @b)", new[] { new { a = 1, b = "x" }, new { a = 2, b = "y" } }, tx);
            var cached = connection.Cached;
            Assert.True(cached > 0);
            await connection.ExecuteAsync("INSERT INTO t (a, b) VALUES (@a, @b)", new { a = 3, b = (string?)null }, tx);
            Assert.Equal(cached, connection.Cached);
            // A command given no transaction runs in the open one, as a new SqliteCommand would.
            Assert.Equal(3L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t"));
            await tx.CommitAsync();
        }

        // Parameters do not carry over from one use of a statement to the next.
        Assert.Equal("x", await connection.ExecuteScalarAsync<string>("SELECT b FROM t WHERE a = @a", new { a = 1 }));
        Assert.Equal("y", await connection.ExecuteScalarAsync<string>("SELECT b FROM t WHERE a = @a", new { a = 2 }));
        Assert.Null(await connection.ExecuteScalarAsync<string?>("SELECT b FROM t WHERE a = @a", new { a = 3 }));
        var missing = await Assert.ThrowsAnyAsync<Exception>(() => connection.ExecuteScalarAsync<string>("SELECT b FROM t WHERE a = @a"));
        Assert.Contains("@a", missing.Message);
    }

    [Fact]
    public async Task Parameters_are_bound_under_the_name_the_SQL_writes_and_others_are_left_to_the_driver()
    {
        // Dapper names parameters bare ("a"); bound as "@a" the driver finds each with one search instead of four.
        Assert.Equal("@a", CachingSqliteConnection.NameAsWritten("INSERT INTO t (a, b) VALUES (@a, @b)", "a", null));
        Assert.Equal("@Id", CachingSqliteConnection.NameAsWritten("UPDATE t SET b = 'x' WHERE a = @Id", "Id", null));
        // Not written with "@" as a whole name, or written with another prefix too: left as it is, for the driver's own search.
        Assert.Equal("Id", CachingSqliteConnection.NameAsWritten("SELECT @IdempotencyKey", "Id", null));
        Assert.Equal("b", CachingSqliteConnection.NameAsWritten("SELECT $b", "b", null));
        Assert.Equal("b", CachingSqliteConnection.NameAsWritten("SELECT @b, :b", "b", null));
        Assert.Equal("@b", CachingSqliteConnection.NameAsWritten("SELECT @a", "@b", null));

        await using var connection = await OpenAsync();
        // Each value lands where the SQL puts it, whatever prefix the SQL uses, run once and again from the cached statement.
        for (var run = 0; run < 2; run++)
        {
            await connection.ExecuteAsync("INSERT INTO t (a, b) VALUES (@a, $b)", new { a = 10 + run, b = $"d{run}" });
            await connection.ExecuteAsync("INSERT INTO t (a, b) VALUES (:a, @bb)", new { a = 20 + run, bb = $"c{run}" });
        }
        Assert.Equal(["d0", "c0", "d1", "c1"], (await connection.QueryAsync<string>("SELECT b FROM t WHERE a IN (10, 11, 20, 21) ORDER BY rowid")).ToList());
        await using var command = ((System.Data.Common.DbConnection)connection).CreateCommand(); // as Dapper asks for one
        command.CommandText = "SELECT b FROM t WHERE a = @a AND b = $b";
        var (a, b) = (command.CreateParameter(), command.CreateParameter());
        (a.ParameterName, b.ParameterName) = ("a", "b");
        Assert.Equal(("@a", "b"), (a.ParameterName, b.ParameterName));
    }

    [Fact]
    public async Task A_statement_in_use_is_not_handed_out_again()
    {
        await using var connection = await OpenAsync();
        await connection.ExecuteAsync("INSERT INTO t (a, b) VALUES (@a, 'r')", Enumerable.Range(1, 5).Select(a => new { a }));
        const string sql = "SELECT a FROM t WHERE a >= @from ORDER BY a";
        var outer = new List<int>();
        var inner = new List<int>();
        // Reading the first result while the same text runs again: each gets its own statement, neither result is disturbed.
        foreach (var a in await Task.FromResult(connection.Query<int>(sql, new { from = 1 }, buffered: false)))
        {
            outer.Add(a);
            if (a == 2) inner.AddRange(connection.Query<int>(sql, new { from = 4 }));
        }
        Assert.Equal([1, 2, 3, 4, 5], outer);
        Assert.Equal([4, 5], inner);
        // And the cached one is free again afterwards.
        Assert.Equal([3, 4, 5], (await connection.QueryAsync<int>(sql, new { from = 3 })).ToList());
    }

    [Fact]
    public async Task Request_lines_reach_a_piped_standard_output_while_running_and_at_exit()
    {
        var directory = Directory.CreateTempSubdirectory("herald-stdout-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?>
        {
            ["Herald__Bootstrap__AdminKey"] = HeraldFactory.AdminKey,
            ["Herald__Bootstrap__OperatorKey"] = HeraldFactory.OperatorKey,
        });
        await herald.WaitUntilHealthyAsync();
        using var client = new HttpClient { BaseAddress = herald.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", HeraldFactory.AdminKey);
        Assert.True((await client.GetAsync("/v1/destinations?marker=1")).IsSuccessStatusCode);

        // Written in blocks at most 100 ms apart: the line arrives while Herald runs (generous bound for a loaded machine).
        var seen = Stopwatch.StartNew();
        while (!herald.Output.Contains("GET /v1/destinations 200") && seen.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.Contains("GET /v1/destinations 200", herald.Output);

        // Lines written during shutdown are flushed before the process ends.
        Process.Start("kill", ["-TERM", herald.Id.ToString()]).WaitForExit();
        Assert.Equal(0, await herald.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Application is shutting down", herald.Output);
        Assert.Contains("Delivery worker", herald.Output[herald.Output.IndexOf("Application is shutting down", StringComparison.Ordinal)..]);
    }
}
