using System.Security.Cryptography;

namespace Herald.Common;

/// <summary>
/// Prefixed identifiers such as evt_06ugk2b4xa7q3m... (24 lowercase base32 characters): 10 that encode the creation
/// millisecond, in an order that sorts like the time, then 14 random ones (70 bits). New rows therefore land at the end
/// of their primary-key index instead of on a random page, which keeps inserts cheap as tables grow.
/// </summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    /// <summary>The same 32 characters in ASCII order, for the time part.</summary>
    private const string SortableAlphabet = "234567abcdefghijklmnopqrstuvwxyz";
    private const int TimeLength = 10;
    private const int Length = 24;

    // The wall clock here only spreads ids over the index; no logic reads it back, so it is not the injected TimeProvider.
    public static string New(string prefix) => New(prefix, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    public static string New(string prefix, long unixMilliseconds)
    {
        Span<byte> random = stackalloc byte[Length - TimeLength];
        RandomNumberGenerator.Fill(random);
        Span<char> id = stackalloc char[prefix.Length + 1 + Length];
        prefix.CopyTo(id);
        id[prefix.Length] = '_';
        var time = id.Slice(prefix.Length + 1, TimeLength);
        for (var i = TimeLength - 1; i >= 0; i--, unixMilliseconds >>= 5) time[i] = SortableAlphabet[(int)(unixMilliseconds & 31)];
        var rest = id[(prefix.Length + 1 + TimeLength)..];
        for (var i = 0; i < rest.Length; i++) rest[i] = Alphabet[random[i] & 31];
        return new string(id);
    }

    public static string RandomBase32(int length)
    {
        Span<byte> bytes = stackalloc byte[length];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(length, bytes.ToArray(), static (chars, b) =>
        {
            for (var i = 0; i < chars.Length; i++) chars[i] = Alphabet[b[i] & 31];
        });
    }

    /// <summary>True when the value looks like an id with this prefix; anything else cannot exist and is answered 404.</summary>
    public static bool IsWellFormed(string? value, string prefix) =>
        value is not null
        && value.Length == prefix.Length + 1 + Length
        && value.StartsWith(prefix + "_", StringComparison.Ordinal)
        && value.AsSpan(prefix.Length + 1).IndexOfAnyExcept(Alphabet) < 0;
}
