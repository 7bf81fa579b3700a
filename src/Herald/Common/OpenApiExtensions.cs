using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Herald.Common;

/// <summary>The OpenAPI document at /openapi/v1.json and the Scalar reference page at /docs, both served locally.</summary>
public static class OpenApiExtensions
{
    public static IServiceCollection AddHeraldOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Herald API",
                Version = "v1",
                Description = "Self-hosted event delivery: publish events, deliver them to Slack, Discord, Teams, Zapier and HTTPS endpoints.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A Herald API key: Authorization: Bearer hk_...",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            return Task.CompletedTask;
        }));

    public static void MapHeraldOpenApi(this WebApplication app)
    {
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", options => options.WithTitle("Herald API")).AllowAnonymous();
    }
}
