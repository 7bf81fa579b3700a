using System.Diagnostics;
using System.Text.Json;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// Runs tests/interop/verify.js (node + the standardwebhooks npm package). Without node or the installed package the test
/// is skipped with the reason, unless HERALD_REQUIRE_INTEROP=1 (CI), where it fails.
/// </summary>
public static class Interop
{
    public static string Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "interop");
                if (File.Exists(Path.Combine(candidate, "verify.js"))) return candidate;
            }
            throw new InvalidOperationException("tests/interop not found above the test binaries.");
        }
    }

    /// <summary>Skips (or under HERALD_REQUIRE_INTEROP=1 fails) unless node and the packages (default: the verifiers) are installed.</summary>
    public static void Require(params string[] packages)
    {
        if (packages.Length == 0) packages = ["standardwebhooks", "adaptivecards", "discord.js"];
        string? reason = null;
        if (!packages.All(p => System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", p))))
            reason = $"Interop test skipped: run 'npm ci --prefix tests/interop' to install {string.Join(", ", packages)}.";
        else if (!OnPath("node"))
            reason = "Interop test skipped: node is not installed.";
        if (reason is null) return;
        if (Environment.GetEnvironmentVariable("HERALD_REQUIRE_INTEROP") == "1") Assert.Fail("HERALD_REQUIRE_INTEROP=1 but " + reason);
        TestContext.Current.SendDiagnosticMessage("NOTICE: " + reason);
        Assert.Skip(reason);
    }

    public static Task<JsonElement> VerifyAsync(string body, IReadOnlyDictionary<string, string> headers, string secret) =>
        RunAsync("verify.js", JsonSerializer.Serialize(new { body, headers, secret }));

    /// <summary>Runs formats.js: adaptivecards parses the Teams messages, discord.js builds the Discord embeds.</summary>
    public static Task<JsonElement> CheckFormatsAsync(IEnumerable<System.Text.Json.Nodes.JsonNode> teams, IEnumerable<System.Text.Json.Nodes.JsonNode> discord) =>
        RunAsync("formats.js", new System.Text.Json.Nodes.JsonObject
        {
            ["teams"] = new System.Text.Json.Nodes.JsonArray(teams.Select(t => t.DeepClone()).ToArray()),
            ["discord"] = new System.Text.Json.Nodes.JsonArray(discord.Select(d => d.DeepClone()).ToArray()),
        }.ToJsonString());

    /// <summary>Runs cloudevents.js: the cloudevents npm package parses each request (structured or binary mode) strictly.</summary>
    public static async Task<IReadOnlyList<JsonElement>> ParseCloudEventsAsync(IEnumerable<ReceivedRequest> requests) =>
        (await RunAsync("cloudevents.js", JsonSerializer.Serialize(new { requests = requests.Select(r => new { headers = r.Headers, body = r.Body }) })))
            .GetProperty("events").EnumerateArray().ToList();
    /// <summary>Runs sign.js: inbound webhooks signed by the providers' own packages (stripe, @octokit/webhooks-methods, standardwebhooks), and
    /// Razorpay signatures checked by the razorpay package's validateWebhookSignature. One result (headers, validated) per request.</summary>
    public static async Task<JsonElement[]> SignInboundAsync(params object[] requests) =>
        (await RunAsync("sign.js", JsonSerializer.Serialize(requests))).EnumerateArray().ToArray();

    private static async Task<JsonElement> RunAsync(string script, string input)
    {
        var info = new ProcessStartInfo("node", [script])
        {
            WorkingDirectory = Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{script} failed: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));
}
