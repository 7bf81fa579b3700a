using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Herald.Common;
using Herald.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Herald.Tests.Security;

/// <summary>
/// Walks every JSON-body route the API maps (POST, PUT, PATCH, found from the endpoint data source, so a new route is fuzzed
/// without touching this test) with bodies of odd shapes, and every field of each route's request type with odd values.
/// No answer may be a 5xx; every 4xx is problem+json.
/// </summary>
public sealed class MalformedBodyTests
{
    private static readonly string Deep = new string('[', 5000) + new string(']', 5000);
    private static readonly string DeepObject = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);

    /// <summary>Whole bodies, as raw text.</summary>
    private static readonly string[] Bodies =
    [
        "", " ", "null", "[]", "[{}]", "{}", "0", "-1", "1e999", "\"text\"", "true", "{", "}", "[", "{\"a\":}", "{\"a\" 1}", "{'a':1}",
        "{\"a\":1,}", "\u0000", "{\"\\u0000\":1}", "{\"\\ud800\":1}", "{\"a\":\"\\udc00\"}", "{\"type\":\"\\ud800\"}", Deep, DeepObject,
        "{\"data\":" + Deep + "}", "{\"data\":" + DeepObject + "}", "{\"a\":1}{\"b\":2}", "{\"x\":1,\"x\":2}", "/* c */ {}",
    ];

    /// <summary>Values put into each field of a route's request (and into a nested key of dictionaries and free-form objects).</summary>
    private static readonly string[] Values =
    [
        "null", "0", "-1", "1.5", "1e308", "1e999", "-1e999", "123456789012345678901234567890", "true", "\"\"", "\"  \"",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff x\"", "\"a\\u2028b\\u0085c\\nd\"", "\"" + new string('x', 20_000) + "\"",
        "[]", "[null]", "[1,\"a\",{}]", "{}", "{\"a\":{\"a\":1,\"a\":2}}", DeepObject, "\"2024-13-45T99:00:00Z\"", "\"caf\u00e9\"",
    ];

    [Fact]
    public async Task No_body_of_any_shape_gets_a_5xx_and_every_4xx_is_problem_json()
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite, new() { ["Herald:Delivery:AllowedNetworks:0"] = "127.0.0.0/8" });
        var admin = herald.Admin();
        var op = herald.Operator();
        var ids = await ArrangeAsync(herald);

        var endpoints = herald.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Methods: e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [],
                Body: e.Metadata.GetMetadata<IAcceptsMetadata>()))
            .Where(e => e.Body?.RequestType is not null && e.Methods.Any(m => m is "POST" or "PUT" or "PATCH"))
            .ToList();
        Assert.True(endpoints.Count >= 15, $"only {endpoints.Count} JSON-body routes found");

        var failures = new List<string>();
        var requests = 0;
        foreach (var (endpoint, methods, body) in endpoints)
        {
            var path = "/" + string.Join("/", endpoint.RoutePattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
            {
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternLiteralPart literal => literal.Content,
                Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart parameter => ids.For(endpoint.RoutePattern.RawText!, parameter.Name),
                _ => "",
            }))));
            foreach (var method in methods.Where(m => m is "POST" or "PUT" or "PATCH"))
            {
                var baseBody = BaseBody(method, endpoint.RoutePattern.RawText!);
                var cases = Bodies.Select(b => ("body " + Show(b), b)).ToList();
                foreach (var field in Fields(body!.RequestType!, ""))
                    foreach (var value in Values)
                        cases.Add(($"{field} = {Show(value)}", With(baseBody, field, value)));

                foreach (var (label, text) in cases)
                {
                    requests++;
                    var response = await SendAsync(admin, method, path, text);
                    if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
                        response = await SendAsync(op, method, path, text);
                    var status = (int)response.StatusCode;
                    var type = response.Content.Headers.ContentType?.MediaType;
                    if (status >= 500) failures.Add($"{method} {path} [{label}] -> {status}");
                    else if (status >= 400 && type != "application/problem+json") failures.Add($"{method} {path} [{label}] -> {status} {type}");
                }
            }
        }
        TestContext.Current.SendDiagnosticMessage($"{requests} malformed requests over {endpoints.Count} routes.");
        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n" + string.Join("\n", failures.Take(60)));
        Assert.DoesNotContain("Unhandled error", herald.Logs.All);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) { Headers = { ContentType = new("application/json") } },
        };
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static string Show(string s) => s.Length <= 40 ? s : $"{s[..20]}…({s.Length} chars)";

    /// <summary>A body each route would accept, so a fuzzed field reaches the checks that come after the others pass.</summary>
    private static string BaseBody(string method, string route) => (method, route) switch
    {
        ("POST", "/v1/events/") or ("POST", "/v1/events") => """{"type":"fuzz.typed","data":{"name":"ok","n":1}}""",
        ("POST", _) when route.StartsWith("/v1/event-types") => """{"name":"fuzz.created","schema":{"type":"object"}}""",
        ("POST", _) when route.StartsWith("/v1/destinations") && !route.Contains('{') =>
            """{"kind":"webhook","name":"f","url":"https://127.0.0.1/hook","headers":{"X-A":"b"}}""",
        ("POST", _) when route.StartsWith("/api/v1/connectors") && !route.Contains('{') =>
            """{"type":"generic","name":"f","config":{"url":"https://127.0.0.1/hook","method":"POST","headers":{"X-A":"b"}}}""",
        ("POST", _) when route.EndsWith("/webhooks") => """{"url":"https://127.0.0.1/hook","events":["*"]}""",
        ("POST", _) when route.EndsWith("/installations") => """{"listing_slug":"custom-webhook","url":"https://127.0.0.1/hook"}""",
        ("POST", "/v1/usage") => """{"amount_usd":1}""",
        _ => "{}",
    };

    /// <summary>JSON field paths of a request type, nested records included; dictionaries and free-form objects get a key "k".</summary>
    private static IEnumerable<string> Fields(Type type, string prefix, int depth = 0)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = prefix + JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            yield return name;
            var inner = property.PropertyType;
            if (inner.IsGenericType && inner.GetGenericTypeDefinition() == typeof(Optional<>)) inner = inner.GetGenericArguments()[0];
            inner = Nullable.GetUnderlyingType(inner) ?? inner;
            if (inner == typeof(JsonObject) || (inner.IsGenericType && inner.GetGenericTypeDefinition() == typeof(Dictionary<,>)))
                foreach (var key in new[] { "k", "n", "name" }) yield return $"{name}.{key}";
            else if (depth < 2 && inner.IsClass && inner != typeof(string) && inner.Namespace?.StartsWith("Herald") == true)
                foreach (var nested in Fields(inner, name + ".", depth + 1)) yield return nested;
        }
    }

    private static string With(string baseBody, string field, string value)
    {
        var root = JsonNode.Parse(baseBody)!.AsObject();
        var parts = field.Split('.');
        var node = root;
        foreach (var part in parts[..^1])
        {
            if (node[part] is not JsonObject next) node[part] = next = new JsonObject();
            node = next;
        }
        node[parts[^1]] = "\u0001PLACEHOLDER\u0001";
        return root.ToJsonString().Replace("\"\\u0001PLACEHOLDER\\u0001\"", value);
    }

    private sealed record Ids(string ProjectId, string DestinationId, string InstallationId)
    {
        public string For(string route, string parameter) => parameter switch
        {
            "projectId" or "project_id" => ProjectId,
            "name" => "fuzz.patched",
            "provider" => "slack",
            "id" when route.StartsWith("/v2/marketplace") => InstallationId,
            "id" when route.StartsWith("/v1/deliveries") => "dlv_00000000000000000000000000",
            _ => DestinationId,
        };
    }

    private static async Task<Ids> ArrangeAsync(HeraldFactory herald)
    {
        var admin = herald.Admin();
        var projectId = (await admin.GetAsync("/v1/me").Json(HttpStatusCode.OK)).GetProperty("project_id").GetString()!;
        await herald.Operator().PostRaw("/v1/event-types", """
            {"name":"fuzz.typed","schema":{"type":"object","properties":{"name":{"type":"string","pattern":"^[a-z]+$","maxLength":10},
             "n":{"type":"number","minimum":0,"multipleOf":0.5}},"required":["name"]}}
            """).Json(HttpStatusCode.Created);
        await herald.Operator().PostRaw("/v1/event-types", """{"name":"fuzz.patched"}""").Json(HttpStatusCode.Created);
        var destinationId = await admin.CreateDestinationAsync(new { kind = "webhook", name = "fuzz", url = "https://127.0.0.1/hook" });
        var installations = await admin.GetAsync("/v2/marketplace/installations").Json(HttpStatusCode.OK);
        var installationId = installations.GetProperty("data").EnumerateArray().First().Str("id");
        return new Ids(projectId, destinationId, installationId);
    }
}
