using System.Net;
using Dapper;
using Herald.Keys;
using Herald.Storage;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Foundation;

public sealed class StartupTests
{
    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Bootstrap_with_configured_keys_creates_default_project_and_writes_no_key_file(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store);
        var me = await herald.Admin().GetAsync("/v1/me").Json(HttpStatusCode.OK);
        Assert.Equal("admin", me.Str("role"));

        var project = await herald.Admin().GetAsync($"/v1/projects/{me.Str("project_id")}").Json(HttpStatusCode.OK);
        Assert.Equal("default", project.Str("name"));
        Assert.StartsWith("prj_", project.Str("id"));

        var op = await herald.Operator().GetAsync("/v1/me").Json(HttpStatusCode.OK);
        Assert.Equal("operator", op.Str("role"));
        Assert.False(File.Exists(Path.Combine(herald.DataDirectory, Bootstrapper.KeysFileName)));
        Assert.DoesNotContain(HeraldFactory.AdminKey, herald.Logs.All);
        Assert.DoesNotContain(HeraldFactory.OperatorKey, herald.Logs.All);
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Bootstrap_without_keys_generates_them_into_a_private_file_and_logs_only_its_path(string store)
    {
        await using var herald = await HeraldFactory.CreateAsync(store, new()
        {
            ["Herald:Bootstrap:AdminKey"] = null,
            ["Herald:Bootstrap:OperatorKey"] = null,
        });
        _ = herald.Server; // start
        var file = Path.Combine(herald.DataDirectory, Bootstrapper.KeysFileName);
        Assert.True(File.Exists(file));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        // Every setting is an `export` line, so that processes started by a shell that sourced the file see the keys.
        var lines = File.ReadAllLines(file).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Matches("^export HERALD_[A-Z_]+=[A-Za-z0-9_]+$", l));
        var values = lines.Select(l => l["export ".Length..]).ToDictionary(l => l[..l.IndexOf('=')], l => l[(l.IndexOf('=') + 1)..]);
        var admin = values["HERALD_ADMIN_KEY"];
        var op = values["HERALD_OPERATOR_KEY"];
        Assert.StartsWith("hk_admin_", admin);
        Assert.StartsWith("hk_operator_", op);

        var me = await herald.ClientWithKey(admin).GetAsync("/v1/me").Json(HttpStatusCode.OK);
        Assert.Equal(values["HERALD_PROJECT_ID"], me.Str("project_id"));
        await herald.ClientWithKey(op).GetAsync("/v1/projects").Json(HttpStatusCode.OK);

        Assert.Contains(file, herald.Logs.All);
        Assert.DoesNotContain(admin, herald.Logs.All);
        Assert.DoesNotContain(op, herald.Logs.All);

        // What the README does: source the file, then a child process sees the keys.
        if (File.Exists("/bin/bash"))
        {
            using var bash = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/bash")
            {
                ArgumentList = { "-c", "source \"$1\" && printenv HERALD_ADMIN_KEY && printenv HERALD_OPERATOR_KEY && printenv HERALD_PROJECT_ID", "bash", file },
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
            var output = await bash.StandardOutput.ReadToEndAsync();
            await bash.WaitForExitAsync();
            Assert.Equal(0, bash.ExitCode);
            Assert.Equal([admin, op, values["HERALD_PROJECT_ID"]], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Theory, MemberData(nameof(Stores.All), MemberType = typeof(Stores))]
    public async Task Migrations_apply_on_an_empty_database_and_a_restart_applies_none_and_keeps_data(string store)
    {
        await using var first = await HeraldFactory.CreateAsync(store);
        var migrator = first.Services.GetRequiredService<Migrator>();
        Assert.Empty(migrator.Migrate()); // startup already applied everything
        var created = await first.Operator().PostJson("/v1/projects", new { name = "kept" }).Json(HttpStatusCode.Created);

        await using var second = first.Restart();
        Assert.Empty(second.Services.GetRequiredService<Migrator>().Migrate());
        var project = await second.Operator().GetAsync($"/v1/projects/{created.Str("id")}").Json(HttpStatusCode.OK);
        Assert.Equal("kept", project.Str("name"));

        await using var connection = await second.Services.GetRequiredService<Db>().OpenAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM projects"));
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM api_keys"));
    }

    [Fact]
    public async Task Sqlite_database_lives_in_the_data_directory_in_wal_mode()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        _ = herald.Server;
        Assert.True(File.Exists(Path.Combine(herald.DataDirectory, "herald.db")));
        await using var connection = await herald.Services.GetRequiredService<Db>().OpenAsync();
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task Health_readiness_openapi_and_reference_page_need_no_key()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var client = herald.Anonymous();
        Assert.Equal("ok", (await client.GetAsync("/healthz").Json(HttpStatusCode.OK)).Str("status"));
        Assert.Equal("ready", (await client.GetAsync("/readyz").Json(HttpStatusCode.OK)).Str("status"));

        var openApi = await client.GetAsync("/openapi/v1.json").Json(HttpStatusCode.OK);
        var paths = openApi.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/projects", out _));
        Assert.True(paths.TryGetProperty("/v1/projects/{projectId}/keys", out _));
        Assert.True(openApi.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("bearer", out _));

        var docs = await client.GetAsync("/docs/");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        var html = await docs.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html);
        Assert.DoesNotContain("cdn.jsdelivr.net", html); // the machine has no internet: the page must be served by Herald
    }
}
