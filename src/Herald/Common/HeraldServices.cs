using Herald.Observability;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using System.Text.Json.Serialization;
using Herald.Auth;
using Herald.Controls;
using Herald.WebConsole;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Destinations.Kinds;
using Herald.Events;
using Herald.Net;
using Herald.Secrets;
using Herald.Errors;
using Herald.Keys;
using Herald.Options;
using Herald.Projects;
using Herald.Sources;
using Herald.Storage;
using Herald.Web;

namespace Herald.Common;

public static class HeraldServices
{
    public const string DefaultUrl = "http://localhost:5080";

    public static WebApplicationBuilder AddHerald(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"]))
            builder.WebHost.UseUrls(DefaultUrl);

        var services = builder.Services;
        services.AddOptions<HeraldOptions>().BindConfiguration(HeraldOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HeraldOptions>, HeraldOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new StoreClock(provider.GetRequiredService<TimeProvider>()));
        // Shutdown lets in-flight deliveries finish within their grace, then hands back leases: the host must wait that long.
        services.AddOptions<HostOptions>().Configure<IConfiguration>((host, configuration) =>
        {
            var grace = TimeSpan.TryParse(configuration[$"{HeraldOptions.Section}:Delivery:{nameof(DeliveryOptions.ShutdownGrace)}"],
                System.Globalization.CultureInfo.InvariantCulture, out var set) && set > TimeSpan.Zero ? set : new DeliveryOptions().ShutdownGrace;
            var needed = grace + TimeSpan.FromSeconds(10);
            if (host.ShutdownTimeout < needed) host.ShutdownTimeout = needed;
        });
        services.AddDataProtection();
        // Read from configuration, not the validated options: a bad setting must reach the start-up message, not crash here.
        services.AddOptions<KeyManagementOptions>().Configure<IConfiguration, ILoggerFactory>((keys, configuration, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(
                configuration[$"{HeraldOptions.Section}:{nameof(HeraldOptions.DataDirectory)}"] ?? new HeraldOptions().DataDirectory, "data-protection")), logs));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider =>
            new ConfigureOptions<KeyManagementOptions>(keys => keys.XmlEncryptor = new SealedXmlEncryptor(provider)));
        services.AddHeraldForwardedHeaders();
        services.AddSingleton<PlanCatalog>();
        services.AddSingleton<Db>();
        services.AddSingleton<StorageFaultLog>();
        services.AddSingleton<Migrator>();
        services.AddSingleton<ProjectStore>();
        services.AddSingleton<KeyStore>();
        services.AddSingleton<Bootstrapper>();
        services.AddSingleton(provider => KeyRingLoader.Load(
            provider.GetRequiredService<IOptions<HeraldOptions>>(), provider.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Secrets")));
        services.AddSingleton<Sealer>();
        services.AddSingleton<Fingerprinter>();
        services.AddSingleton<SecretsInitializer>();
        services.AddSingleton<Resealer>();
        services.AddHeraldNet();
        services.AddHeraldControls();
        services.AddSingleton<DestinationStore>();
        services.AddSingleton<DestinationService>();
        services.AddSingleton<OpenedDestinations>();
        services.AddDestinationKinds();
        services.AddSingleton<DeliverySender>();
        services.AddSingleton<DestinationTester>();
        services.AddSingleton<EventCatalog>();
        services.AddSingleton<EventStore>();
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<EventWriter>();
        services.AddHostedService(provider => provider.GetRequiredService<EventWriter>());
        services.AddSingleton<DeliverySignal>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<RetrySchedule>();
        services.AddSingleton<DispatchLanes>();
        services.AddSingleton<DeliveryWorker>();
        services.AddSingleton<Budgets.BudgetService>();
        services.AddHeraldSources();
        services.AddSingleton<Retention.Pruner>();
        services.AddHostedService(provider => provider.GetRequiredService<Retention.Pruner>());
        services.AddHostedService<SqliteCheckpointer>();
        services.AddHostedService(provider => provider.GetRequiredService<DeliveryWorker>());

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            o.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            o.SerializerOptions.AllowDuplicateProperties = false;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
            o.SerializerOptions.Converters.Add(new StrictJsonObjectConverter());
            o.SerializerOptions.Converters.Add(new StrictJsonNodeConverter());
        });
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemCodes.Fill);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddHeraldAuth();
        services.AddHeraldConsole();
        Portal.PortalApi.AddHeraldPortal(services);
        services.AddHeraldOpenApi();
        builder.AddHeraldObservability();
        services.AddHeraldTracing(builder.Configuration);
        return builder;
    }

    /// <summary>Migrates the store and creates the first project and keys when the database is empty.</summary>
    public static async Task InitializeHeraldAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HeraldOptions>>().Value;
        if (options.Delivery.AllowHttp)
            app.Logger.LogWarning("Herald:Delivery:AllowHttp is on: destinations may use plain http. This is a development switch.");
        app.Services.GetRequiredService<Migrator>().Migrate();
        await app.Services.GetRequiredService<SecretsInitializer>().InitializeAsync();
        await app.Services.GetRequiredService<EventCatalog>().InitializeAsync();
        await app.Services.InitializeSourcesAsync();
        await app.Services.GetRequiredService<Bootstrapper>().RunAsync();
        // Alerts a crash left unpublished go out once the event writer runs.
        app.Lifetime.ApplicationStarted.Register(() => _ = app.Services.GetRequiredService<Budgets.BudgetService>()
            .PublishPendingAlertsAsync(null, app.Lifetime.ApplicationStopping));
    }

    public static WebApplication UseHerald(this WebApplication app)
    {
        var forwarded = app.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>>().Value;
        // With no proxy configured the middleware would believe every sender, so it runs only when one is.
        if (forwarded.KnownProxies.Count > 0 || forwarded.KnownIPNetworks.Count > 0) app.UseForwardedHeaders();
        app.UseHeraldSecurityHeaders();
        app.UseHeraldRequestLog();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        Portal.PortalContext.UseHeraldPortal(app);
        app.UseHeraldPagingRules();
        app.MapConsoleAssets();
        return app;
    }
}
