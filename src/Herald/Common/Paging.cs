namespace Herald.Common;

public static class Paging
{
    /// <summary>Rows were fetched with limit + 1: the extra row only says there is a next page.</summary>
    public static Page<T> ToPage<T>(List<T> rows, int limit, Func<T, string> cursorOf)
    {
        var hasMore = rows.Count > limit;
        if (hasMore) rows.RemoveAt(rows.Count - 1);
        return new Page<T>(rows, hasMore ? cursorOf(rows[^1]) : null, hasMore);
    }
}
