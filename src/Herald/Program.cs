using Herald.Common;
using Herald.Health;
using Herald.Keys;
using Herald.Projects;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddHerald();

var app = builder.Build();
app.UseHerald();
app.MapHealth();
app.MapHeraldOpenApi();
app.MapProjects();
app.MapKeys();

try
{
    await app.InitializeHeraldAsync();
}
catch (OptionsValidationException invalid)
{
    Console.Error.WriteLine("Herald cannot start, a setting is invalid:");
    foreach (var failure in invalid.Failures) Console.Error.WriteLine($"  - {failure}");
    return 1;
}

await app.RunAsync();
return 0;

public partial class Program;
