using System.Net;
using Herald.Tests.Infrastructure;

namespace Herald.Tests.Sources;

/// <summary>The console's Sources page lists each source with its inbound URL, last received time and last verification result.</summary>
public sealed class SourcesConsoleTests
{
    [Fact]
    public async Task The_sources_page_shows_inbound_urls_last_received_and_last_verification_and_no_secret()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:Worker"] = "false" });
        var admin = herald.Admin();
        var project = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).Str("project_id");
        const string secret = "rzp_console_secret_77";
        var verified = await admin.CreateSourceAsync("razorpay", secret, "Payments");
        var failing = await admin.CreateSourceAsync("github", "github_console_secret", "Repos <b>");
        var idle = await admin.CreateSourceAsync("shopify", "shopify_console_secret", "Store");
        await herald.Anonymous().PostRazorpay(verified.Str("inbound_url"), secret, SourceTestKit.RazorpayPayment("pay_c"), "c1").Json(HttpStatusCode.OK);
        await herald.Anonymous().PostInbound(failing.Str("inbound_url"), "{}", new Dictionary<string, string> { ["X-Hub-Signature-256"] = "sha256=00" })
            .Problem(HttpStatusCode.Unauthorized, "unauthorized");

        var memberKey = (await admin.PostJson($"/v1/projects/{project}/keys", new { name = "m" }).Json(HttpStatusCode.Created)).Str("key");
        var console = await ConsoleClient.SignInAsync(herald, memberKey);
        var html = await console.PageAsync("/console/sources");

        Assert.Contains("href=\"/console/sources\"", html);
        foreach (var source in new[] { verified, failing, idle }) Assert.Contains(source.Str("inbound_url"), html);
        Row(html, verified.Str("id"), "Payments", "Razorpay", "razorpay.*", "verified");
        Row(html, failing.Str("id"), "Repos &lt;b&gt;", "GitHub", "github.*", "bad_signature");
        Row(html, idle.Str("id"), "Store", "Shopify", "shopify.*", "none yet");
        Assert.Contains("never", Slice(html, idle.Str("id")));
        Assert.DoesNotContain("never", Slice(html, verified.Str("id")));
        Assert.DoesNotContain(secret, html);
        Assert.DoesNotContain("<b>", html);
    }

    private static void Row(string html, string id, params string[] expected)
    {
        var row = Slice(html, id);
        foreach (var text in expected) Assert.Contains(text, row);
    }

    private static string Slice(string html, string id)
    {
        var start = html.IndexOf($"data-source=\"{id}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {id}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }
}
