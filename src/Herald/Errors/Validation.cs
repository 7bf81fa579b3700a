using Microsoft.AspNetCore.Http.HttpResults;

namespace Herald.Errors;

/// <summary>Collects field errors for one request; <see cref="Problem"/> turns them into a 422 naming the fields.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
        return this;
    }

    /// <summary>Checks a required text field: present, not blank, at most <paramref name="maxLength"/> characters, no control characters.</summary>
    public string? Required(string field, string? value, int maxLength) =>
        value is null ? Fail(field, "is required.") : Text(field, value, maxLength);

    /// <summary>Checks an optional text field; null stays null.</summary>
    public string? Text(string field, string? value, int maxLength)
    {
        if (value is null) return null;
        var trimmed = value.Trim();
        if (trimmed.Length == 0) return Fail(field, "must not be blank.");
        if (trimmed.Length > maxLength) return Fail(field, $"must be at most {maxLength} characters.");
        if (trimmed.Any(char.IsControl)) return Fail(field, "must not contain control characters.");
        return trimmed;
    }

    public ProblemHttpResult Problem() => Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

    private string? Fail(string field, string message)
    {
        Add(field, message);
        return null;
    }
}
