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

    public static void Require()
    {
        string? reason = null;
        if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "standardwebhooks")))
            reason = "Interop test skipped: run 'npm ci --prefix tests/interop' to install the standardwebhooks package.";
        else if (!OnPath("node"))
            reason = "Interop test skipped: node is not installed.";
        if (reason is null) return;
        if (Environment.GetEnvironmentVariable("HERALD_REQUIRE_INTEROP") == "1") Assert.Fail("HERALD_REQUIRE_INTEROP=1 but " + reason);
        TestContext.Current.SendDiagnosticMessage("NOTICE: " + reason);
        Assert.Skip(reason);
    }

    public static async Task<JsonElement> VerifyAsync(string body, IReadOnlyDictionary<string, string> headers, string secret)
    {
        var info = new ProcessStartInfo("node", ["verify.js"])
        {
            WorkingDirectory = Directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        await process.StandardInput.WriteAsync(JsonSerializer.Serialize(new { body, headers, secret }));
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"verify.js failed: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));
}
