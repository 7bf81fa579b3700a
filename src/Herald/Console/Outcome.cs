namespace Herald.WebConsole;

/// <summary>How the console colours an outcome or status.</summary>
public static class Outcome
{
    public static string Css(string? outcome) => outcome switch
    {
        null => "",
        "delivered" or "active" => "ok",
        "pending" => "wait",
        _ when outcome.StartsWith("delivered_", StringComparison.Ordinal) => "ok",
        _ => "bad",
    };
}
