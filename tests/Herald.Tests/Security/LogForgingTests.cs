using System.Net;
using Herald.Common;
using Herald.Errors;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>Nothing a caller sends can start a line of its own in the log.</summary>
public sealed class LogForgingTests
{
    private const string Forged = "Error Herald.Forged: pwned";

    /// <summary>Every line of every entry, split at everything a log viewer may treat as a line break.</summary>
    private static IEnumerable<string> LogLines(HeraldFactory herald) =>
        herald.Logs.Lines.SelectMany(entry => entry.Split(['\n', '\r', '\u2028', '\u2029', '\u0085', '\v', '\f']));

    [Theory]
    [InlineData("%0A")]
    [InlineData("%0D")]
    [InlineData("%0D%0A")]
    [InlineData("%E2%80%A8")]
    [InlineData("%E2%80%A9")]
    [InlineData("%C2%85")]
    [InlineData("%0B")]
    public async Task A_line_break_in_the_request_path_is_escaped_in_the_request_log(string lineBreak)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var path = $"/v1/destinations/key{lineBreak}{Uri.EscapeDataString(Forged)}";
        await herald.Admin().GetAsync(path).Problem(HttpStatusCode.NotFound, "not_found");
        await herald.Anonymous().GetAsync(path).Problem(HttpStatusCode.Unauthorized, "unauthorized");

        Assert.DoesNotContain(LogLines(herald), line => line.StartsWith(Forged, StringComparison.Ordinal));
        Assert.Contains(herald.Logs.Lines, entry => entry.Contains("Herald.Requests") && entry.Contains("/v1/destinations/key\\") && entry.Contains(Forged));
    }

    [Fact]
    public async Task An_unexpected_error_quoting_the_request_is_logged_escaped_with_its_stack_trace()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        _ = herald.Server;
        using var scope = herald.Services.CreateScope();
        var handler = ActivatorUtilities.CreateInstance<ProblemExceptionHandler>(scope.ServiceProvider);
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/events\n" + Forged;
        context.Response.Body = new MemoryStream();
        Exception thrown;
        try { throw new InvalidOperationException("An item with the same key has already been added. Key: a\n" + Forged + "\u2028" + Forged); }
        catch (Exception e) { thrown = e; }

        Assert.True(await handler.TryHandleAsync(context, thrown, TestContext.Current.CancellationToken));
        Assert.Equal(500, context.Response.StatusCode);
        Assert.DoesNotContain(LogLines(herald), line => line.StartsWith(Forged, StringComparison.Ordinal));
        var entry = Assert.Single(herald.Logs.Lines, l => l.Contains("Unhandled error"));
        Assert.Contains("Key: a\\n" + Forged + "\\u2028" + Forged, entry);
        Assert.Contains(nameof(An_unexpected_error_quoting_the_request_is_logged_escaped_with_its_stack_trace), entry); // the stack trace is kept
    }

    [Theory]
    [InlineData("plain /v1/events", "plain /v1/events")]
    [InlineData("a\nb", "a\\nb")]
    [InlineData("a\r\nb", "a\\r\\nb")]
    [InlineData("tab\tnul\0esc\u001b", "tab\\tnul\\u0000esc\\u001b")]
    [InlineData("del\u007f c1\u0085\u009b", "del\\u007f c1\\u0085\\u009b")]
    [InlineData("ls\u2028ps\u2029", "ls\\u2028ps\\u2029")]
    [InlineData("back\\nslash", "back\\\\nslash")]
    [InlineData("café ✓", "café ✓")]
    public void Escaping_covers_c0_c1_del_the_unicode_separators_and_the_backslash(string raw, string logged) =>
        Assert.Equal(logged, LogSafe.Escape(raw));
}
