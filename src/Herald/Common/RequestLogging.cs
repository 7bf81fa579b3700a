using System.Diagnostics;
using Herald.Errors;

namespace Herald.Common;

/// <summary>
/// One log line per request: method, path (never the query string, which could carry a key; control characters escaped), status and duration.
/// Also refuses malformed paging parameters (?limit=, ?cursor=) for every list with one rule.
/// </summary>
public static class RequestLogging
{
    /// <summary>An HttpContext item an endpoint sets to log a route instead of its path (when the path holds a capability token).</summary>
    public const string LogPathItem = "herald.log_path";

    public static IApplicationBuilder UseHeraldRequestLog(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Herald.Requests");
            logger.LogInformation("{Method} {Path} {Status} {ElapsedMs:0.0} ms", LogSafe.Escape(context.Request.Method), LogSafe.Escape(context.Items[LogPathItem] as string ?? context.Request.Path.Value),
                context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    });

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
