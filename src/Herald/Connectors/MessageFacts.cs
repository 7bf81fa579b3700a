using System.Text.Json.Nodes;

namespace Herald.Connectors;

/// <summary>What rich formats show besides title and body: a few data fields, a link, and a colour by status.</summary>
public static class MessageFacts
{
    public const int Green = 0x2ECC71;
    public const int Red = 0xE74C3C;
    public const int Amber = 0xF1C40F;
    public const int Neutral = 0x5865F2;

    /// <summary>Top-level scalar data fields as (label, text), at most <paramref name="max"/>.</summary>
    public static IReadOnlyList<(string Name, string Value)> Fields(Message m, int max) => m.Data
        .Where(p => p.Value is JsonValue && p.Key != "url")
        .Take(max)
        .Select(p => (Humanize(p.Key), p.Value!.ToJsonString().Trim('"')))
        .ToList();

    /// <summary>An https link from data.url (or data.link), if there is one.</summary>
    public static string? Link(Message m)
    {
        var value = (m.Data["url"] ?? m.Data["link"]) is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        return value is not null && value.Length <= 2000 && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri.AbsoluteUri
            : null;
    }

    /// <summary>Promise status: kept green, broken red, in progress amber; errors red, alerts amber (100 % red).</summary>
    public static int Colour(Message m)
    {
        var status = (m.Data["status"] as JsonValue)?.ToString().ToLowerInvariant().Replace('_', ' ');
        switch (status)
        {
            case "kept" or "fulfilled" or "succeeded" or "success" or "delivered": return Green;
            case "broken" or "failed" or "failure" or "error": return Red;
            case "in progress" or "pending" or "stalled" or "partially kept" or "compromised": return Amber;
        }
        if (m.Type.EndsWith(".error", StringComparison.Ordinal) || m.Type.EndsWith(".disabled", StringComparison.Ordinal)) return Red;
        if (m.Type == "billing.budget.alert")
            return (m.Data["threshold_pct"] as JsonValue)?.TryGetValue<int>(out var pct) == true && pct >= 100 ? Red : Amber;
        return Neutral;
    }

    public static string Humanize(string key) => key.Length == 0 ? key : char.ToUpperInvariant(key[0]) + key[1..].Replace('_', ' ');
}
