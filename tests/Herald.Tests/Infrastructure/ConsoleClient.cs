using System.Net;
using System.Text.RegularExpressions;

namespace Herald.Tests.Infrastructure;

/// <summary>The console over plain HTTP: sign in with a key, read pages, post forms with the page's anti-forgery token.</summary>
public static partial class ConsoleClient
{
    /// <summary>A client with a cookie jar that follows no redirects, signed in to the console with <paramref name="key"/>.</summary>
    public static async Task<HttpClient> SignInAsync(HeraldFactory herald, string key)
    {
        var client = herald.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var signedIn = await client.PostFormAsync("/console/login", new() { ["key"] = key });
        Assert.Equal(HttpStatusCode.SeeOther, signedIn.StatusCode);
        return client;
    }

    public static string TokenOf(string html) => AntiForgeryToken().Match(html) is { Success: true } m
        ? WebUtility.HtmlDecode(m.Groups[1].Value)
        : throw new InvalidOperationException("The page has no anti-forgery token.");

    /// <summary>Reads <paramref name="page"/> for its token, then posts the form fields to <paramref name="action"/> (the page itself by default).</summary>
    public static async Task<HttpResponseMessage> PostFormAsync(this HttpClient client, string page, Dictionary<string, string> fields, string? action = null)
    {
        var form = await client.GetAsync(page);
        Assert.Equal(HttpStatusCode.OK, form.StatusCode);
        fields["__RequestVerificationToken"] = TokenOf(await form.Content.ReadAsStringAsync());
        return await client.PostAsync(action ?? page, new FormUrlEncodedContent(fields));
    }

    public static async Task<string> PageAsync(this HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path} answered {(int)response.StatusCode}");
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiForgeryToken();
}
