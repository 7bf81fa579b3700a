namespace Herald.Budgets;

/// <summary>Amounts are stored as whole micro-dollars so sums are exact on both stores.</summary>
public static class Money
{
    public const decimal MicrosPerDollar = 1_000_000m;

    public static long ToMicros(decimal usd) => (long)decimal.Round(usd * MicrosPerDollar);

    public static decimal ToUsd(long micros) => micros / MicrosPerDollar;

    /// <summary>"$41.20"</summary>
    public static string Format(long micros) => ToUsd(micros).ToString("$#,##0.00", System.Globalization.CultureInfo.InvariantCulture);

    public static string CycleOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
}
