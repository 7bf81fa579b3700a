using Herald.Budgets;
using Herald.Common;
using Herald.Controls;
using Herald.Retention;
using Herald.Surfaces.Connectors;
using Herald.Surfaces.Integrations;
using Herald.Surfaces.Marketplace;
using Herald.Delivery;
using Herald.Destinations;
using Herald.Events;
using Herald.Secrets;
using Herald.Health;
using Herald.Keys;
using Herald.Observability;
using Herald.Portal;
using Herald.Projects;
using Herald.Sources;
using Microsoft.Extensions.Options;

// Herald's own process (a test host runs this code too, and keeps its console as it is).
if (System.Reflection.Assembly.GetEntryAssembly() == typeof(Program).Assembly) BufferedConsole.Install();

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddHerald();

var app = builder.Build();
app.UseHerald();
app.MapHealth();
app.MapHeraldMetrics();
app.MapHeraldOpenApi();
app.MapProjects();
app.MapKeys();
app.MapSecrets();
app.MapDestinations();
app.MapControls();
app.MapEvents();
app.MapDeliveries();
app.MapBudgets();
app.MapRetention();
app.MapMarketplace();
app.MapConnectors();
app.MapIntegrations();
app.MapPortal();
app.MapSources();
app.MapRazorPages();
app.MapGet("/", () => Results.Redirect("/console")).ExcludeFromDescription();

try
{
    await app.InitializeHeraldAsync();
    if (args.FirstOrDefault() == "reseal")
    {
        var result = await app.Services.GetRequiredService<Resealer>().ResealAsync();
        Console.WriteLine($"Re-sealed {result.Resealed} value(s) under master key {result.CurrentKeyId}.");
        return 0;
    }
}
catch (OptionsValidationException invalid)
{
    Console.Error.WriteLine("Herald cannot start, a setting is invalid:");
    foreach (var failure in invalid.Failures) Console.Error.WriteLine($"  - {failure}");
    return 1;
}
catch (StartupException stop)
{
    Console.Error.WriteLine($"Herald cannot start: {stop.Message}");
    return 1;
}

await app.RunAsync();
return 0;

public partial class Program;
