namespace Herald.Common;

public static class Limits
{
    /// <summary>The page size a list endpoint uses for the ?limit= the caller gave.</summary>
    public static int Clamp(int? limit) => Math.Clamp(limit ?? Cursor.DefaultLimit, 1, Cursor.MaxLimit);
}
