using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Herald.Errors;

/// <summary>
/// Every error Herald returns: application/problem+json with a stable <c>type</c> (urn:herald:error:{code}),
/// a <c>code</c>, and for input errors the offending <c>field</c> plus an <c>errors</c> map of field → messages.
/// Messages never echo secrets or submitted values.
/// </summary>
public static class Problems
{
    public static string TypeFor(string code) => $"urn:herald:error:{code}";

    public static ProblemDetails Create(int status, string code, string title, string? detail = null, string? field = null,
        IDictionary<string, string[]>? errors = null)
    {
        var problem = new ProblemDetails { Status = status, Type = TypeFor(code), Title = title, Detail = detail };
        problem.Extensions["code"] = code;
        if (field is not null) problem.Extensions["field"] = field;
        if (errors is not null) problem.Extensions["errors"] = errors;
        return problem;
    }

    public static ProblemHttpResult Result(ProblemDetails problem) => TypedResults.Problem(problem);

    public static ProblemHttpResult Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors)
    {
        var first = errors.First();
        return Result(Create(StatusCodes.Status422UnprocessableEntity, "validation_failed", "The request has invalid fields.",
            $"{first.Key}: {first.Value[0]}", first.Key, errors));
    }

    /// <summary>400 unknown_field, as for any field a request body may not have (see <see cref="ProblemExceptionHandler"/>).</summary>
    public static ProblemDetails UnknownField(string name) =>
        Create(400, ProblemCodes.UnknownField, "The request body has a field Herald does not know.", $"Unknown field '{name}'.", name,
            new Dictionary<string, string[]> { [name] = ["is not a known field."] });

    /// <summary>400 invalid_type, as for any field whose value has the wrong JSON type.</summary>
    public static ProblemDetails InvalidType(string name) =>
        Create(400, ProblemCodes.InvalidType, "A field has a value of the wrong type or form.",
            $"'{name}' has a value of the wrong type or form (for example text where a number or an ISO-8601 time is expected).", name,
            new Dictionary<string, string[]> { [name] = ["has a value of the wrong type or form."] });

    public static ProblemHttpResult NotFound(string what) =>
        Result(Create(StatusCodes.Status404NotFound, "not_found", $"{what} not found."));

    public static ProblemHttpResult Forbidden(string detail) =>
        Result(Create(StatusCodes.Status403Forbidden, "forbidden", "This key may not do that.", detail));

    public static ProblemHttpResult Conflict(string code, string title, string detail, string? field = null) =>
        Result(Create(StatusCodes.Status409Conflict, code, title, detail, field));
}
