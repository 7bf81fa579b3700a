using System.Diagnostics;
using Herald.Errors;

namespace Herald.Common;

/// <summary>
/// One log line per request: method, path (never the query string, which could carry a key; control characters escaped), status and duration.
/// Also refuses malformed paging parameters (?limit=, ?cursor=) for every list with one rule.
/// <para>
/// The line is cheap on the request path: one logger made once, a source-generated message (no boxing or params array), and
/// nothing at all when the Herald.Requests category is above Information. The console logger formats and writes it on its
/// own thread.
/// </para>
/// </summary>
public static partial class RequestLogging
{
    /// <summary>An HttpContext item an endpoint sets to log a route instead of its path (when the path holds a capability token).</summary>
    public const string LogPathItem = "herald.log_path";

    public static IApplicationBuilder UseHeraldRequestLog(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Requests");
        return app.Use(async (context, next) =>
        {
            if (!logger.IsEnabled(LogLevel.Information))
            {
                await next(context);
                return;
            }
            var started = Stopwatch.GetTimestamp();
            try
            {
                await next(context);
            }
            finally
            {
                Request(logger, LogSafe.Escape(context.Request.Method), LogSafe.Escape(context.Items[LogPathItem] as string ?? context.Request.Path.Value),
                    context.Response.StatusCode, Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 1));
            }
        });
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "{Method} {Path} {Status} {ElapsedMs} ms")]
    private static partial void Request(ILogger logger, string method, string path, int status, double elapsedMs);

    public static IApplicationBuilder UseHeraldPagingRules(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var query = context.Request.Query;
        string? field = null;
        if (query.TryGetValue("limit", out var limit) && (!int.TryParse(limit, out var n) || n < 1 || n > Cursor.MaxLimit)) field = "limit";
        else if (query.TryGetValue("cursor", out var cursor) && !Cursor.TryDecode(cursor, out _, out _)) field = "cursor";
        if (field is null)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        var message = field == "limit" ? $"must be a whole number from 1 to {Cursor.MaxLimit}." : "is not a cursor this API returned.";
        await context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = Problems.Create(400, "invalid_parameter", "A parameter has an invalid value.", $"'{field}' {message}", field,
                new Dictionary<string, string[]> { [field] = [message] }),
        });
    });
}
