using Microsoft.Playwright;

namespace Herald.Tests.Infrastructure;

/// <summary>
/// Headless Debian Chromium driven by Playwright (never a downloaded browser). Without /usr/bin/chromium the test is
/// skipped with the reason, unless HERALD_REQUIRE_BROWSER=1 (CI), where it fails.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<BrowserSession> StartAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            const string reason = "Browser test skipped: install Debian's chromium (apt-get install -y chromium) for /usr/bin/chromium.";
            if (Environment.GetEnvironmentVariable("HERALD_REQUIRE_BROWSER") == "1") Assert.Fail("HERALD_REQUIRE_BROWSER=1 but " + reason);
            TestContext.Current.SendDiagnosticMessage("NOTICE: " + reason);
            Assert.Skip(reason);
        }
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run",
                    "--disable-component-update", "--disable-sync"],
        });
        return new BrowserSession(playwright, browser);
    }

    /// <summary>A page in a fresh context (its own cookies). <paramref name="ignoreHttpsErrors"/>: for Herald on https with the test CA.</summary>
    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900, bool ignoreHttpsErrors = false, bool javaScript = true)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IgnoreHTTPSErrors = ignoreHttpsErrors,
            JavaScriptEnabled = javaScript,
        });
        return await context.NewPageAsync();
    }

    /// <summary>
    /// TestResults/screenshots/ in the repository (git-ignored, so a test run leaves a clean clone clean);
    /// scripts/refresh-screenshots.sh copies them to docs/screenshots for the README.
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Herald.slnx")))
                return Path.Combine(Directory.CreateDirectory(Path.Combine(dir.FullName, "TestResults", "screenshots")).FullName, name);
        return Path.Combine(Directory.CreateTempSubdirectory("herald-screenshots-").FullName, name);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
