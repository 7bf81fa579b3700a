using System.Net;
using Herald.Options;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Foundation;

public sealed class OptionsTests
{
    public static TheoryData<string, string?, string> BadSettings => new()
    {
        { "Herald__Storage__Provider", "mysql", "Herald:Storage:Provider" },
        { "Herald__Plans__pro", "five", "Herald:Plans:pro" },
        { "Herald__DefaultPlan", "gold", "Herald:DefaultPlan" },
        { "Herald__Bootstrap__AdminKey", "short", "Herald:Bootstrap:AdminKey" },
        { "Herald__Storage__SqliteCheckpointInterval", "00:00:00.001", "Herald:Storage:SqliteCheckpointInterval" },
    };

    [Theory, MemberData(nameof(BadSettings))]
    public async Task A_bad_setting_stops_start_with_a_message_naming_it(string variable, string? value, string setting)
    {
        var directory = Directory.CreateTempSubdirectory("herald-opt-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?> { [variable] = value });
        var exitCode = await herald.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, exitCode);
        Assert.Contains(setting, herald.Output);
        Assert.DoesNotContain("   at ", herald.Output);
    }

    [Fact]
    public void Postgres_without_a_connection_string_is_refused()
    {
        var options = new HeraldOptions { Storage = { Provider = "postgres" } };
        var result = new HeraldOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("Herald:Storage:ConnectionString", result.FailureMessage);
    }

    [Fact]
    public void Defaults_are_valid_and_plan_limits_match_the_tiers()
    {
        var options = new HeraldOptions();
        Assert.True(new HeraldOptionsValidator().Validate(null, options).Succeeded);
        var plans = new PlanCatalog(Microsoft.Extensions.Options.Options.Create(options));
        Assert.Equal(0, plans.ConnectorLimit("free"));
        Assert.Equal(5, plans.ConnectorLimit("pro"));
        Assert.Equal(10, plans.ConnectorLimit("journalist"));
        Assert.Null(plans.ConnectorLimit("enterprise"));
    }

    [Fact]
    public async Task The_start_command_creates_data_directory_database_and_keys_file_and_serves_on_the_given_url()
    {
        var directory = Directory.CreateTempSubdirectory("herald-run-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?>());
        await herald.WaitUntilHealthyAsync();
        Assert.True(File.Exists(Path.Combine(directory, "data", "herald.db")));
        var keysFile = Path.Combine(directory, "data", "bootstrap-keys.env");
        Assert.True(File.Exists(keysFile));
        var adminKey = File.ReadAllLines(keysFile).Single(l => l.StartsWith("export HERALD_ADMIN_KEY=")).Split('=', 2)[1];

        using var client = new HttpClient { BaseAddress = herald.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", adminKey);
        await client.GetAsync("/v1/me").Json(HttpStatusCode.OK);
        Assert.Contains(keysFile, herald.Output);
        Assert.DoesNotContain(adminKey, herald.Output);
    }
}
