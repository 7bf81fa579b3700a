using System.Reflection;

namespace Herald.WebConsole;

/// <summary>
/// The console's script, stylesheet and favicon, embedded in Herald.dll and served from /console/static (and the icon at
/// /favicon.ico), so the console needs nothing from outside and its CSP can say script-src 'self'.
/// </summary>
public static class ConsoleAssets
{
    private static readonly Dictionary<string, (byte[] Content, string Type)> Files = new(StringComparer.Ordinal)
    {
        ["console.js"] = (Load("console.js"), "text/javascript; charset=utf-8"),
        ["console.css"] = (Load("console.css"), "text/css; charset=utf-8"),
        ["favicon.svg"] = (Load("favicon.svg"), "image/svg+xml"),
    };

    public static void MapConsoleAssets(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/static/{name}", (string name) => Serve(name)).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/favicon.ico", () => Serve("favicon.svg")).AllowAnonymous().ExcludeFromDescription();
    }

    private static IResult Serve(string name) => Files.TryGetValue(name, out var file)
        ? Results.Bytes(file.Content, file.Type)
        : Results.NotFound();

    private static byte[] Load(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Herald.Console.Static." + name)
            ?? throw new InvalidOperationException($"The console asset {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
