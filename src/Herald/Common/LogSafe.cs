using System.Text;

namespace Herald.Common;

/// <summary>
/// Makes caller-supplied text safe to log: control characters (C0, DEL, C1), the Unicode line and paragraph separators and
/// the backslash are written as escapes (\n, \r, \t, \\, \u2028), so a value can never start a forged log line.
/// Every log call that carries something a caller sent (a path, a method, an exception message quoting input) goes through it.
/// </summary>
public static class LogSafe
{
    public static string Escape(string? value)
    {
        if (value is null) return "";
        var clean = true;
        foreach (var c in value)
            if (NeedsEscape(c)) { clean = false; break; }
        if (clean) return value;
        var builder = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\\': builder.Append("\\\\"); break;
                default:
                    if (NeedsEscape(c)) builder.Append("\\u").Append(((int)c).ToString("x4"));
                    else builder.Append(c);
                    break;
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// An exception for the log: each type with its message escaped (messages can quote input), then the stack trace, which is
    /// Herald's own text and keeps its line breaks.
    /// </summary>
    public static string Describe(Exception exception)
    {
        var builder = new StringBuilder();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e != exception) builder.Append("\n ---> ");
            builder.Append(e.GetType().FullName).Append(": ").Append(Escape(e.Message));
            if (e.StackTrace is { } trace) builder.Append('\n').Append(trace);
        }
        return builder.ToString();
    }

    private static bool NeedsEscape(char c) => c < ' ' || c is '\\' || (c >= '\u007f' && c <= '\u009f') || c is '\u2028' or '\u2029';
}
