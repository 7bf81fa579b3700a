namespace Herald.Errors;

/// <summary>
/// Every <c>code</c> the API can answer (each is in the README's error table; a test holds both to that), and the filling of
/// framework-made problems (unknown route, wrong method, ...) with the same type/code shape as Herald's own.
/// </summary>
public static class ProblemCodes
{
    // 400: the body or a parameter cannot be read
    public const string BadRequest = "bad_request";
    public const string MalformedJson = "malformed_json";
    public const string InvalidType = "invalid_type";
    public const string UnknownField = "unknown_field";
    public const string DuplicateField = "duplicate_field";
    public const string BodyRequired = "body_required";
    public const string InvalidParameter = "invalid_parameter";
    // 401 / 403
    public const string Unauthorized = "unauthorized";
    public const string Forbidden = "forbidden";
    public const string PlanLimitReached = "plan_limit_reached";
    // 404 / 405 / 406
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string NotAcceptable = "not_acceptable";
    // 409
    public const string Conflict = "conflict";
    public const string IdempotencyKeyReused = "idempotency_key_reused";
    public const string EventTypeExists = "event_type_exists";
    public const string EventTypeBuiltin = "event_type_builtin";
    public const string AlreadyDelivered = "already_delivered";
    public const string ProviderNotConfigured = "provider_not_configured";
    // 413 / 415
    public const string PayloadTooLarge = "payload_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    // 422
    public const string ValidationFailed = "validation_failed";
    public const string UnknownEventType = "unknown_event_type";
    public const string SchemaMismatch = "schema_mismatch";
    /// <summary>A destination's message template failed to render for the event (POST /v1/destinations/{id}/preview).</summary>
    public const string TemplateError = "template_error";
    // 429, 5xx, anything else
    public const string RateLimited = "rate_limited";
    public const string InternalError = "internal_error";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string StorageUnavailable = "storage_unavailable";
    public const string ServiceUnavailable = "service_unavailable";
    public const string Error = "error";

    public static void Fill(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        if (problem.Extensions.ContainsKey("code")) return;
        var code = problem.Status switch
        {
            400 => BadRequest,
            401 => Unauthorized,
            403 => Forbidden,
            404 => NotFound,
            405 => MethodNotAllowed,
            406 => NotAcceptable,
            409 => Conflict,
            413 => PayloadTooLarge,
            415 => UnsupportedMediaType,
            422 => ValidationFailed,
            429 => RateLimited,
            503 => ServiceUnavailable,
            _ when problem.Status >= 500 => InternalError,
            _ => Error,
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
