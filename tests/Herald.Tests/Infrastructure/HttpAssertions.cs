using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Herald.Tests.Infrastructure;

public static class HttpAssertions
{
    public static async Task<JsonElement> Json(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} but got {(int)response.StatusCode}: {body}");
        return string.IsNullOrEmpty(body) ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Asserts a problem+json answer with this status and code, naming <paramref name="field"/> when given.</summary>
    public static async Task<JsonElement> Problem(this HttpResponseMessage response, HttpStatusCode status, string code, string? field = null)
    {
        var problem = await response.Json(status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal($"urn:herald:error:{code}", problem.GetProperty("type").GetString());
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        if (field is not null) Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.DoesNotContain("   at ", problem.ToString()); // never a stack trace
        return problem;
    }

    public static async Task<JsonElement> Json(this Task<HttpResponseMessage> response, HttpStatusCode expected) =>
        await (await response).Json(expected);

    public static async Task<JsonElement> Problem(this Task<HttpResponseMessage> response, HttpStatusCode status, string code, string? field = null) =>
        await (await response).Problem(status, code, field);

    public static Task<HttpResponseMessage> PostJson(this HttpClient client, string url, object body) =>
        client.PostAsJsonAsync(url, body);

    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string url, string body) =>
        client.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    public static Task<HttpResponseMessage> PatchRaw(this HttpClient client, string url, string body) =>
        client.PatchAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

    public static string Str(this JsonElement element, string property) => element.GetProperty(property).GetString()!;
}
