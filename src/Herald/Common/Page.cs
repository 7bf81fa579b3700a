using System.Text;

namespace Herald.Common;

/// <summary>A page of a cursor-paginated list: the items and the cursor of the next page (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Data, string? NextCursor, bool HasMore);

/// <summary>Opaque cursors over (created_at, id): base64url of "ms:id".</summary>
public static class Cursor
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static string Encode(long createdAt, string id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdAt}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool TryDecode(string? cursor, out long createdAt, out string id)
    {
        createdAt = 0; id = "";
        if (string.IsNullOrEmpty(cursor)) return false;
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var colon = text.IndexOf(':');
            if (colon <= 0 || !long.TryParse(text.AsSpan(0, colon), out createdAt)) return false;
            id = text[(colon + 1)..];
            return id.Length is > 0 and <= 64;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
