using System.Globalization;

namespace Herald.Connectors;

public static class TextLimits
{
    /// <summary>Cuts text to at most <paramref name="max"/> characters on a text-element boundary, ending with "…".</summary>
    public static string Truncate(string text, int max)
    {
        if (text.Length <= max) return text;
        var end = 0;
        var elements = StringInfo.GetTextElementEnumerator(text);
        while (elements.MoveNext())
        {
            var next = elements.ElementIndex + elements.GetTextElement().Length;
            if (next > max - 1) break;
            end = next;
        }
        return text[..end].TrimEnd() + "…";
    }
}
