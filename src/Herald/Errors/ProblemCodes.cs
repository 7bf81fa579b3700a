namespace Herald.Errors;

/// <summary>Gives framework-made problems (unknown route, wrong method, ...) the same type/code shape as Herald's own.</summary>
public static class ProblemCodes
{
    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code")) return;
        var code = problem.Status switch
        {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            406 => "not_acceptable",
            409 => "conflict",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "validation_failed",
            429 => "rate_limited",
            503 => "service_unavailable",
            _ when problem.Status >= 500 => "internal_error",
            _ => "error",
        };
        problem.Type = Problems.TypeFor(code);
        problem.Extensions["code"] = code;
        problem.Detail ??= problem.Status switch
        {
            404 => "No such route. The API reference is at /docs.",
            405 => $"This route does not take {context.HttpContext.Request.Method}. The API reference is at /docs.",
            415 => "Send the body as application/json.",
            _ => null,
        };
    }
}
