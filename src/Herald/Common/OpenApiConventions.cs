using System.Text.RegularExpressions;
using Herald.Budgets;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Events;
using Herald.Keys;
using Herald.Projects;
using Herald.Surfaces.Connectors;
using Herald.Surfaces.Integrations;
using Herald.Surfaces.Marketplace;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;

namespace Herald.Common;

/// <summary>
/// What /openapi/v1.json says beyond each route's own metadata, inferred in one place rather than repeated per endpoint:
/// the bearer requirement of every authenticated operation (none on /healthz and /readyz), the problem+json error responses
/// that the route's authorization, body, parameters and <see cref="ProblemStatusesMetadata"/> imply, the Idempotency-Key
/// header, and request schemas whose <c>required</c> lists only the fields Herald refuses to go without.
/// </summary>
public static partial class OpenApiConventions
{
    public const string BearerScheme = "bearer";
    public const string ProblemSchema = "Problem";

    /// <summary>
    /// The fields each request body must carry. Request records are all-nullable so that Herald, not the JSON reader, answers
    /// a missing field with a 422 naming it; without this list every constructor parameter would be documented as required.
    /// A request type (or a type nested in one) not listed here has no required field.
    /// </summary>
    internal static readonly IReadOnlyDictionary<Type, string[]> RequiredRequestFields = new Dictionary<Type, string[]>
    {
        [typeof(CreateProjectRequest)] = ["name"],
        [typeof(CreateKeyRequest)] = ["name"],
        [typeof(CreateEventTypeRequest)] = ["name"],
        [typeof(PublishRequest)] = ["type", "data"],
        [typeof(SetBudgetRequest)] = ["monthly_budget_usd"],
        [typeof(UsageRequest)] = ["amount_usd"],
        [typeof(RecoverRequest)] = ["since"],
        [typeof(CreateDestinationRequest)] = ["kind", "url"],
        [typeof(CreateConnectorRequest)] = ["type", "name", "config"],
        [typeof(RegisterWebhookRequest)] = ["url"],
        [typeof(InstallRequest)] = ["listing_slug", "url"],
        [typeof(Sources.CreateSourceRequest)] = ["kind", "secret"],
        [typeof(Controls.TryEventRequest)] = ["event"],
    };

    internal static readonly IReadOnlyDictionary<string, string> TagDescriptions = new Dictionary<string, string>
    {
        ["Health"] = "Liveness and readiness. No key needed.",
        ["Projects"] = "Projects (created and changed by the operator), and erasing a project's data.",
        ["API keys"] = "A project's keys, and the calling key itself.",
        ["Secrets"] = "Re-sealing stored secrets after a master-key rotation (operator).",
        ["Budgets"] = "A project's monthly budget, and spend reports that trigger billing.budget.alert events.",
        ["Events"] = "Publishing events, and reading them with their deliveries.",
        ["Event types"] = "The event catalog. The operator adds types, optionally with a JSON Schema for their data.",
        ["Destinations"] = "Where events go (webhooks, Slack, Discord, Teams, Zapier), their delivery logs, recovery and signing secrets.",
        ["Deliveries"] = "One delivery, and retrying it.",
        ["Marketplace"] = "The marketplace surface (/v2/marketplace): listings and installations.",
        ["Connectors"] = "The connectors surface (/api/v1/connectors).",
        ["Integrations"] = "The integrations surface (/projects/{project_id}/integrations): outgoing webhooks and provider integrations.",
        ["Portal"] = "Sign-in links to the console for a project's own customers (the customer portal); see docs/portal.md.",
        ["Sources"] = "Inbound sources: providers post signed webhooks to /in/{token} (no key: the signature is the credential); Herald verifies them and publishes them as events. GET /v1/sources/kinds lists the providers.",
    };

    public static bool IsOptional(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Optional<>);

    /// <summary>
    /// An <see cref="Optional{T}"/> property is documented as T, nullable (absent leaves a value alone, null clears it). A request
    /// type in <see cref="RequiredRequestFields"/> requires exactly those fields, and they are not nullable since null is refused
    /// like absence, except an Optional one, where null is a value.
    /// </summary>
    public static async Task DescribeSchemaAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (schema.Properties is null) return;
        RequiredRequestFields.TryGetValue(context.JsonTypeInfo.Type, out var required);
        if (required is not null) schema.Required = new HashSet<string>(required.Where(schema.Properties.ContainsKey));
        foreach (var property in context.JsonTypeInfo.Properties)
        {
            if (!schema.Properties.TryGetValue(property.Name, out var current)) continue;
            if (IsOptional(property.PropertyType))
                schema.Properties[property.Name] = Nullable(await context.GetOrCreateSchemaAsync(property.PropertyType.GetGenericArguments()[0], null, ct));
            else if (required?.Contains(property.Name) == true)
                schema.Properties[property.Name] = NotNullable(current);
        }
    }

    public static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var description = context.Description;
        var metadata = description.ActionDescriptor.EndpointMetadata;
        var authenticated = !metadata.OfType<IAllowAnonymous>().Any() && metadata.OfType<IAuthorizeData>().Any();
        operation.Security = authenticated
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [] }]
            : [];

        operation.Parameters ??= [];
        foreach (Match match in RouteParameter().Matches(description.RelativePath ?? ""))
        {
            var name = match.Groups[1].Value;
            if (operation.Parameters.Any(p => p.In == ParameterLocation.Path && p.Name == name)) continue;
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            });
        }
        if (metadata.OfType<IdempotencyKeyMetadata>().FirstOrDefault() is { } idempotency)
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Required = false,
                Description = "Makes a retry safe: a repeat with the same key answers the first result (with Idempotent-Replayed: true) " +
                              "instead of acting again; the same key with a different body is refused with 409.",
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = idempotency.MaxLength },
            });
        if (operation.Parameters.Count == 0) operation.Parameters = null;

        operation.Responses ??= [];
        foreach (var status in ProblemStatuses(description, metadata, authenticated))
        {
            operation.Responses.TryAdd(status.ToString(), new OpenApiResponse
            {
                Description = ProblemDescription(status),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                },
            });
        }
        return Task.CompletedTask;
    }

    /// <summary>The error statuses an operation can answer, from what the route shows and what the endpoint declares.</summary>
    private static SortedSet<int> ProblemStatuses(Microsoft.AspNetCore.Mvc.ApiExplorer.ApiDescription description, IList<object> metadata, bool authenticated)
    {
        var statuses = new SortedSet<int>(metadata.OfType<ProblemStatusesMetadata>().SelectMany(m => m.Statuses));
        if (authenticated)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is not null || a.Roles is not null)) statuses.Add(StatusCodes.Status403Forbidden);
        }
        var parameters = description.ParameterDescriptions;
        if (parameters.Any(p => p.Source == BindingSource.Body))
            statuses.UnionWith([StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status422UnprocessableEntity]);
        if (parameters.Any(p => p.Source == BindingSource.Query)) statuses.Add(StatusCodes.Status400BadRequest);
        if ((description.RelativePath ?? "").Contains('{')) statuses.Add(StatusCodes.Status404NotFound);
        return statuses;
    }

    private static string ProblemDescription(int status) => status switch
    {
        400 => "The request cannot be read: malformed JSON, an unknown or repeated field, a value of the wrong type, or an invalid parameter. `field` names it.",
        401 => "The API key is missing, malformed or revoked.",
        403 => "The key's role does not allow this action, or the project's plan limit is reached.",
        404 => "No such resource, or it belongs to another project.",
        409 => "The request conflicts with the current state; `code` says how.",
        413 => "The request body is too large.",
        415 => "The body is not sent as application/json.",
        422 => "A field has an invalid value; `field` names the first and `errors` lists every field with its messages.",
        503 => "The database is not reachable.",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };

    public static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Herald API",
            Version = "v1",
            Description = "Self-hosted event delivery: publish events, deliver them to Slack, Discord, Teams, Zapier and HTTPS endpoints. " +
                          "Every error is application/problem+json with a stable `code` (see the README's error table).",
        };
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A Herald API key: Authorization: Bearer hk_...",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        // Each operation carries its own requirement (none on the health checks): no document-wide default.
        document.Security = null;
        foreach (var server in document.Servers ?? []) server.Url = server.Url?.TrimEnd('/');

        foreach (var tag in document.Tags ?? new HashSet<OpenApiTag>())
            if (tag.Name is not null && TagDescriptions.TryGetValue(tag.Name, out var text)) tag.Description = text;

        DescribeRequestBodies(document);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A schema a request body uses (directly or nested) that is not in <see cref="RequiredRequestFields"/> requires nothing:
    /// the JSON reader lets every field be absent and Herald itself says which ones it needs.
    /// </summary>
    private static void DescribeRequestBodies(OpenApiDocument document)
    {
        var listed = RequiredRequestFields.Keys.Select(type => type.Name).ToHashSet();
        var visited = new HashSet<string>();
        var roots = (document.Paths ?? []).Values
            .SelectMany(path => path.Operations?.Values.AsEnumerable() ?? [])
            .SelectMany(operation => operation.RequestBody?.Content?.Values.AsEnumerable() ?? [])
            .Select(media => media.Schema);
        foreach (var root in roots) Visit(root);

        void Visit(IOpenApiSchema? schema)
        {
            if (schema is OpenApiSchemaReference reference)
            {
                var id = reference.Reference.Id;
                if (id is null || !visited.Add(id)) return;
                if (document.Components?.Schemas?.TryGetValue(id, out var target) != true || target is not OpenApiSchema component) return;
                if (!listed.Contains(id)) component.Required = null;
                schema = component;
            }
            if (schema is null) return;
            foreach (var property in schema.Properties?.Values ?? []) Visit(property);
            Visit(schema.Items);
            Visit(schema.AdditionalProperties);
            foreach (var inner in (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).Concat(schema.AllOf ?? [])) Visit(inner);
        }
    }

    // While schema transformers run, a property of a type that becomes a component reference is the type's schema marked with
    // x-is-nullable-property; ASP.NET turns that into oneOf [null, $ref] afterwards.
    private const string NullableProperty = "x-is-nullable-property";

    private static IOpenApiSchema NotNullable(IOpenApiSchema schema)
    {
        if (schema is not OpenApiSchema plain) return schema;
        plain.Metadata?.Remove(NullableProperty);
        if (plain.Type is { } type && type != JsonSchemaType.Null) plain.Type = type & ~JsonSchemaType.Null;
        return plain;
    }

    private static IOpenApiSchema Nullable(IOpenApiSchema schema)
    {
        if (schema is not OpenApiSchema plain) return schema;
        if (plain.Metadata?.TryGetValue("x-schema-id", out var id) == true && id is string { Length: > 0 })
        {
            plain.Metadata[NullableProperty] = true;
            return plain;
        }
        if (plain.Type is { } type) plain.Type = type | JsonSchemaType.Null;
        return plain;
    }

    /// <summary>The problem+json body of every error (see Errors/Problems.cs).</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An error as RFC 9457 problem details, with Herald's stable code and, for input errors, the field.",
        Required = new HashSet<string> { "type", "title", "status", "code" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "urn:herald:error:{code}" },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Stable error code, such as validation_failed or not_found." },
            ["field"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The field, parameter or header at fault." },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Every field at fault with its messages.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Quote it when reporting a problem." },
        },
    };

    [GeneratedRegex(@"\{([^}:?]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
