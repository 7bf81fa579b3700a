using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Herald.Common;
using Herald.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Herald.Tests.Foundation;

/// <summary>
/// /openapi/v1.json is what generated clients are built from: every operation named, summarised and honest about its errors,
/// security and optional fields, and clean under Redocly's recommended rules. /docs renders it with nothing from another host.
/// </summary>
public sealed class OpenApiTests
{
    private static readonly string[] Methods = ["get", "put", "post", "patch", "delete"];

    private static async Task<JsonElement> DocumentAsync(string? host = null)
    {
        await using var herald = await HeraldFactory.CreateAsync(Stores.Sqlite);
        var client = herald.Anonymous();
        if (host is not null) client.BaseAddress = new Uri($"http://{host}");
        return await client.GetAsync("/openapi/v1.json").Json(HttpStatusCode.OK);
    }

    private static IEnumerable<(string Path, string Method, JsonElement Operation)> Operations(JsonElement document) =>
        document.GetProperty("paths").EnumerateObject().SelectMany(path => path.Value.EnumerateObject()
            .Where(op => Methods.Contains(op.Name))
            .Select(op => (path.Name, op.Name, op.Value)));

    private static JsonElement Schema(JsonElement document, string name) => document.GetProperty("components").GetProperty("schemas").GetProperty(name);

    private static string[] Required(JsonElement schema) =>
        schema.TryGetProperty("required", out var required) ? required.EnumerateArray().Select(r => r.GetString()!).ToArray() : [];

    private static bool Nullable(JsonElement property) =>
        property.TryGetProperty("type", out var type) ? type.ValueKind == JsonValueKind.Array && type.EnumerateArray().Any(t => t.GetString() == "null")
        : property.TryGetProperty("oneOf", out var oneOf) && oneOf.EnumerateArray().Any(s => s.TryGetProperty("type", out var t) && t.GetString() == "null");

    [Fact]
    public async Task Every_operation_has_a_unique_operationId_a_summary_a_tag_and_documented_success()
    {
        var document = await DocumentAsync();
        var operations = Operations(document).ToList();
        Assert.True(operations.Count >= 60, $"only {operations.Count} operations");
        foreach (var (path, method, operation) in operations)
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            Assert.False(string.IsNullOrWhiteSpace(operation.TryGetProperty("summary", out var s) ? s.GetString() : null), $"{where} has no summary");
            Assert.True(operation.TryGetProperty("operationId", out _), $"{where} has no operationId");
            Assert.True(operation.GetProperty("tags").GetArrayLength() == 1, $"{where} has no tag");
            Assert.True(operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{where} documents no success");
        }
        var ids = operations.Select(o => o.Operation.GetProperty("operationId").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal("publishEvent", document.GetProperty("paths").GetProperty("/v1/events").GetProperty("post").GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task Errors_are_documented_as_problem_json_with_code_field_and_errors()
    {
        var document = await DocumentAsync();
        var problem = Schema(document, "Problem");
        foreach (var property in new[] { "type", "title", "status", "detail", "code", "field", "errors" })
            Assert.True(problem.GetProperty("properties").TryGetProperty(property, out _), $"Problem has no {property}");
        Assert.Contains("code", Required(problem));

        foreach (var (path, method, operation) in Operations(document))
        {
            var where = $"{method.ToUpperInvariant()} {path}";
            var responses = operation.GetProperty("responses");
            void Documents(string status)
            {
                Assert.True(responses.TryGetProperty(status, out var response), $"{where} does not document {status}");
                Assert.Equal("#/components/schemas/Problem",
                    response.GetProperty("content").GetProperty("application/problem+json").GetProperty("schema").GetProperty("$ref").GetString());
            }
            foreach (var error in responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5')) Documents(error.Name);

            var security = operation.GetProperty("security");
            if (security.GetArrayLength() > 0)
            {
                Assert.True(security[0].TryGetProperty("bearer", out _), $"{where} needs a key but not the bearer scheme");
                Documents("401");
            }
            if (operation.TryGetProperty("requestBody", out _)) foreach (var status in new[] { "400", "413", "415", "422" }) Documents(status);
            if (path.Contains('{')) Documents("404");
        }

        var paths = document.GetProperty("paths");
        Assert.True(paths.GetProperty("/v1/events").GetProperty("post").GetProperty("responses").TryGetProperty("409", out _));
        Assert.True(paths.GetProperty("/v1/projects").GetProperty("post").GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(paths.GetProperty("/readyz").GetProperty("get").GetProperty("responses").TryGetProperty("503", out _));
    }

    [Fact]
    public async Task Health_checks_need_no_key_and_every_other_operation_needs_the_bearer_key()
    {
        var document = await DocumentAsync();
        Assert.False(document.TryGetProperty("security", out var global) && global.GetArrayLength() > 0, "a document-wide requirement would cover /healthz");
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        foreach (var (path, method, operation) in Operations(document))
        {
            var security = operation.GetProperty("security");
            // The inbound endpoint of sources takes no key: the provider's signature is the credential
            if (path is "/healthz" or "/readyz" or "/in/{token}") Assert.Equal(0, security.GetArrayLength());
            else Assert.True(security.GetArrayLength() == 1, $"{method.ToUpperInvariant()} {path} has no bearer requirement");
        }
        Assert.DoesNotContain(Operations(document), o => o.Path.StartsWith("/openapi") || o.Path.StartsWith("/docs") || o.Path.StartsWith("/console"));
    }

    [Fact]
    public async Task Optional_request_fields_are_not_required_and_required_ones_are_not_nullable()
    {
        var document = await DocumentAsync();
        void Expect(string schemaName, string[] required, string[] optional)
        {
            var schema = Schema(document, schemaName);
            Assert.Equal(required.Order(), Required(schema).Order());
            foreach (var name in required) Assert.False(Nullable(schema.GetProperty("properties").GetProperty(name)), $"{schemaName}.{name} is nullable");
            foreach (var name in optional) Assert.True(schema.GetProperty("properties").TryGetProperty(name, out _), $"{schemaName} lost {name}");
        }
        Expect("PublishRequest", ["type", "data"], ["categories", "occurred_at", "title", "body"]);
        Expect("InstallRequest", ["listing_slug", "url"], ["name", "events", "filters"]);
        Expect("InstallFilters", [], ["categories"]);
        Expect("RegisterWebhookRequest", ["url"], ["events", "secret"]);
        Expect("UpdateProjectRequest", [], ["name", "plan", "monthly_budget_usd"]);

        // Optional<T> is T on the wire (null clears the value), not an empty "OptionalOf..." schema.
        Assert.DoesNotContain(document.GetProperty("components").GetProperty("schemas").EnumerateObject(), s => s.Name.StartsWith("OptionalOf"));
        var budget = Schema(document, "SetBudgetRequest").GetProperty("properties").GetProperty("monthly_budget_usd");
        Assert.Contains("number", budget.GetProperty("type").EnumerateArray().Select(t => t.GetString()));
        Assert.True(Nullable(budget), "null removes the budget");
        Assert.True(Nullable(Schema(document, "UpdateConnectorRequest").GetProperty("properties").GetProperty("filters")));

        // Every request body's schema requires only what OpenApiConventions lists, and each listed field exists.
        foreach (var (type, fields) in OpenApiConventions.RequiredRequestFields)
        {
            var properties = Schema(document, type.Name).GetProperty("properties");
            foreach (var field in fields) Assert.True(properties.TryGetProperty(field, out _), $"{type.Name} has no {field}");
        }
        foreach (var (path, method, operation) in Operations(document))
        {
            if (!operation.TryGetProperty("requestBody", out var body)) continue;
            var schema = body.GetProperty("content").GetProperty("application/json").GetProperty("schema");
            var reference = schema.TryGetProperty("$ref", out var r) ? r.GetString()
                : schema.GetProperty("oneOf").EnumerateArray().Select(s => s.TryGetProperty("$ref", out var x) ? x.GetString() : null).First(x => x is not null);
            var name = reference!.Split('/')[^1];
            var listed = OpenApiConventions.RequiredRequestFields.FirstOrDefault(e => e.Key.Name == name).Value ?? [];
            Assert.True(listed.Order().SequenceEqual(Required(Schema(document, name)).Order()), $"{method.ToUpperInvariant()} {path}: {name} requires other fields");
        }
    }

    [Fact]
    public async Task Idempotency_key_is_an_optional_header_of_publish_and_usage()
    {
        var document = await DocumentAsync();
        foreach (var path in new[] { "/v1/events", "/v1/usage" })
        {
            var parameter = document.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("parameters").EnumerateArray()
                .Single(p => p.Str("name") == "Idempotency-Key");
            Assert.Equal("header", parameter.Str("in"));
            Assert.False(parameter.TryGetProperty("required", out var required) && required.GetBoolean());
            Assert.Equal(200, parameter.GetProperty("schema").GetProperty("maxLength").GetInt32());
        }
    }

    [Fact]
    public async Task Redocly_lints_the_document_with_no_errors_or_warnings()
    {
        Interop.Require("@redocly/cli");
        // The server URL is the host the document was fetched from; the test server's default, localhost, is what
        // no-server-example.com warns about in a published document, so fetch it as a deployment would be addressed.
        var document = await DocumentAsync("herald.test");
        Assert.Equal("http://herald.test", document.GetProperty("servers")[0].Str("url"));
        var directory = Directory.CreateTempSubdirectory("herald-openapi-").FullName;
        try
        {
            var file = Path.Combine(directory, "openapi.json");
            await File.WriteAllTextAsync(file, document.GetRawText());
            var info = new ProcessStartInfo("node", [Path.Combine("node_modules", "@redocly", "cli", "bin", "cli.js"), "lint", file,
                "--config", "redocly.yaml", "--format", "json"])
            {
                WorkingDirectory = Interop.Directory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // Redocly must not reach the network: no telemetry, no update check.
            info.Environment["REDOCLY_TELEMETRY"] = "off";
            info.Environment["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true";
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            var report = JsonDocument.Parse(await output).RootElement;
            var problems = string.Join("\n", report.GetProperty("problems").EnumerateArray().Select(p =>
                $"{p.Str("severity")} {p.Str("ruleId")}: {p.Str("message")} at {p.GetProperty("location")[0].Str("pointer")}"));
            Assert.True(report.GetProperty("totals").GetProperty("errors").GetInt32() == 0, problems + "\n" + await error);
            Assert.True(report.GetProperty("totals").GetProperty("warnings").GetInt32() == 0, problems);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Docs_page_renders_the_reference_with_nothing_from_another_host()
    {
        await using var browser = await BrowserSession.StartAsync();
        var directory = Directory.CreateTempSubdirectory("herald-docs-").FullName;
        await using var herald = HeraldProcess.Start(directory, new Dictionary<string, string?>());
        await herald.WaitUntilHealthyAsync();
        var page = await browser.NewPageAsync();
        var local = new List<string>();
        var external = new List<string>();
        await page.Context.RouteAsync("**/*", async route =>
        {
            var url = new Uri(route.Request.Url);
            if (!url.IsLoopback)
            {
                lock (external) external.Add(route.Request.Url);
                await route.AbortAsync();
                return;
            }
            lock (local) local.Add(url.AbsolutePath);
            await route.ContinueAsync();
        });

        await page.GotoAsync(new Uri(herald.BaseAddress, "/docs/").ToString(), new() { WaitUntil = WaitUntilState.NetworkIdle });
        await Assertions.Expect(page.GetByText("Check that Herald is running").First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Herald API" }).First).ToBeVisibleAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.Empty(external);
        Assert.Contains("/docs/scalar.js", local);
        Assert.Contains("/openapi/v1.json", local);
        var text = await page.Locator("body").InnerTextAsync();
        foreach (var banned in new[] { "Ask AI", "Generate SDK", "Deploy" }) Assert.DoesNotContain(banned, text);
        try { Directory.Delete(directory, recursive: true); } catch (IOException) { }
    }
}
