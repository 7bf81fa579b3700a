using System.Text.Json;
using Herald.Common;
using Herald.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace Herald.Errors;

/// <summary>
/// Turns request-binding failures (bad JSON, wrong types, unknown fields, oversized bodies) into problem+json naming
/// the field, a store that cannot take the work (<see cref="StorageFault"/>) into 503 storage_unavailable with
/// Retry-After, counted in the log rather than logged one by one, and anything unexpected into a bare 500 with no details.
/// </summary>
public sealed class ProblemExceptionHandler(IProblemDetailsService problems, StorageFaultLog faults, ILogger<ProblemExceptionHandler> logger)
    : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var problem = exception switch
        {
            BadHttpRequestException bad => FromBadRequest(bad),
            _ => null,
        };
        if (problem is null && StorageFault.Classify(exception) is { } reason)
        {
            faults.Report("request(s) refused", reason, exception);
            problem = StorageUnavailable();
            context.Response.Headers.RetryAfter = StorageFault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (problem is null)
        {
            // The exception's message can quote the request (a JSON key, a path): logged escaped, never as raw text.
            logger.LogError("Unhandled error on {Method} {Path}: {Exception}", LogSafe.Escape(context.Request.Method),
                LogSafe.Escape(context.Items[Common.RequestLogging.LogPathItem] as string ?? context.Request.Path.Value), LogSafe.Describe(exception));
            problem = Problems.Create(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError, "Something went wrong on our side.",
                "The error was logged. Nothing in the request was changed unless a response said otherwise.");
        }

        context.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>503 storage_unavailable: nothing was stored; the same request may be sent again after Retry-After.</summary>
    public static Microsoft.AspNetCore.Mvc.ProblemDetails StorageUnavailable(string? detail = null) =>
        Problems.Create(StatusCodes.Status503ServiceUnavailable, ProblemCodes.StorageUnavailable, "Herald's store cannot take this request now.",
            detail ?? $"The request was not acknowledged. Send it again in {StorageFault.RetryAfterSeconds} s, with the same Idempotency-Key " +
            "if it had one; GET /readyz tells when Herald is ready again.");

    private static Microsoft.AspNetCore.Mvc.ProblemDetails FromBadRequest(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return Problems.Create(413, "payload_too_large", "The request body is too large.");
        if (bad.StatusCode == StatusCodes.Status415UnsupportedMediaType)
            return Problems.Create(415, "unsupported_media_type", "Send the body as application/json.", field: "body");

        if (bad.InnerException is JsonException json)
        {
            var (field, innermost) = FieldOf(json);
            var message = innermost.Message;
            if (innermost is DuplicateJsonKeyException || message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase))
                return Problems.Create(400, "duplicate_field", "The request body names a field twice.",
                    field is null ? "A field appears twice." : $"'{field}' appears twice.", field ?? "body");
            if (message.Contains("could not be mapped", StringComparison.Ordinal))
            {
                return Problems.UnknownField(field ?? UnknownMember(message) ?? "body");
            }
            if (message.Contains("could not be converted", StringComparison.Ordinal))
            {
                return Problems.InvalidType(field ?? "body");
            }
            return Problems.Create(400, "malformed_json", "The request body is not valid JSON.",
                field is null ? "The body could not be parsed as JSON." : $"The body could not be parsed near '{field}'.", field ?? "body");
        }

        if (BoundParameter(bad.Message) is { } parameter)
            return Problems.Create(400, "invalid_parameter", "A parameter has an invalid value.", $"'{parameter}' has an invalid value.", parameter,
                new Dictionary<string, string[]> { [parameter] = ["has an invalid value."] });
        if (bad.Message.Contains("no body was provided", StringComparison.Ordinal)
            || bad.Message.Contains("was not provided from body", StringComparison.Ordinal))
            return Problems.Create(400, "body_required", "A JSON request body is required.", field: "body");
        return Problems.Create(bad.StatusCode, "bad_request", "The request could not be read.");
    }

    /// <summary>
    /// The full field path of a JSON error: the reader's path, plus the path inside a value read by a nested reader
    /// (<see cref="NestedJsonException"/>) and the key path of a duplicate inside free-form JSON (<see cref="DuplicateJsonKeyException"/>).
    /// </summary>
    internal static (string? Field, JsonException Innermost) FieldOf(JsonException json)
    {
        var field = FieldFromPath(json.Path);
        while (json is NestedJsonException nested)
        {
            json = nested.Inner;
            field = Join(field, FieldFromPath(json.Path));
        }
        if (json is DuplicateJsonKeyException duplicate) field = Join(field, duplicate.KeyPath);
        return (field, json);
    }

    private static string? Join(string? outer, string? inner) =>
        string.IsNullOrEmpty(inner) ? outer : outer is null ? inner : inner.StartsWith('[') ? outer + inner : $"{outer}.{inner}";

    /// <summary>"$.filters.categories[0]" → "filters.categories[0]"; "$" or null → null.</summary>
    internal static string? FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$") return null;
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    /// <summary>"Failed to bind parameter \"int? limit\" from \"x\"." → "limit" (the submitted value is not echoed).</summary>
    private static string? BoundParameter(string message)
    {
        const string marker = "Failed to bind parameter \"";
        if (!message.StartsWith(marker, StringComparison.Ordinal)) return null;
        var end = message.IndexOf('"', marker.Length);
        if (end < 0) return null;
        var declaration = message[marker.Length..end];
        return declaration[(declaration.LastIndexOf(' ') + 1)..];
    }

    private static string? UnknownMember(string message)
    {
        var start = message.IndexOf('\'');
        var end = start < 0 ? -1 : message.IndexOf('\'', start + 1);
        return end > start + 1 && end - start <= 65 ? message[(start + 1)..end] : null;
    }
}
