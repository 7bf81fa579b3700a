using Microsoft.AspNetCore.OpenApi;
using Scalar.AspNetCore;

namespace Herald.Common;

/// <summary>
/// The OpenAPI document at /openapi/v1.json and the Scalar reference page at /docs, both served locally with nothing loaded
/// from elsewhere. What each operation documents beyond its route (security, error responses, headers, which request fields
/// are required) is added by <see cref="OpenApiConventions"/>.
/// </summary>
public static class OpenApiExtensions
{
    public static IServiceCollection AddHeraldOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            // Optional<T> is T on the wire: no "OptionalOf..." component, the property gets T's schema (OpenApiConventions).
            options.CreateSchemaReferenceId = type => OpenApiConventions.IsOptional(type.Type) ? null : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddSchemaTransformer(OpenApiConventions.DescribeSchemaAsync);
            options.AddOperationTransformer(OpenApiConventions.DescribeOperation);
            options.AddDocumentTransformer(OpenApiConventions.DescribeDocument);
        });

    public static void MapHeraldOpenApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        // The page and its script (scalar.js) are served from the package; everything that would call another host is off:
        // the CDN fonts, Agent Scalar ("Ask AI"), MCP, telemetry, the developer toolbar ("Generate SDK", "Deploy") and the
        // client button, which opens Scalar's hosted API client.
        app.MapScalarApiReference("/docs", options => options
            .WithTitle("Herald API")
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .DisableTelemetry()
            .HideDeveloperTools()
            .HideClientButton()
            .AddPreferredSecuritySchemes(OpenApiConventions.BearerScheme)).AllowAnonymous();
    }

    /// <summary>
    /// Names and summarises an operation (operationId and summary in /openapi/v1.json). <paramref name="problems"/> adds
    /// error statuses the route itself does not show, such as 409; 400/401/403/404/413/415/422 follow from the route.
    /// </summary>
    public static TBuilder Doc<TBuilder>(this TBuilder builder, string operationId, string summary, params int[] problems)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithName(operationId).WithSummary(summary).WithMetadata(new ProblemStatusesMetadata(problems));

    /// <summary>The route reads an optional Idempotency-Key header: documented as a header parameter.</summary>
    public static TBuilder WithIdempotencyKey<TBuilder>(this TBuilder builder, int maxLength) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IdempotencyKeyMetadata(maxLength));
}

/// <summary>Error statuses an endpoint can answer that its route, body and authorization do not imply.</summary>
public sealed record ProblemStatusesMetadata(IReadOnlyList<int> Statuses);

/// <summary>The endpoint honours an optional Idempotency-Key header of 1 to <see cref="MaxLength"/> characters.</summary>
public sealed record IdempotencyKeyMetadata(int MaxLength);
