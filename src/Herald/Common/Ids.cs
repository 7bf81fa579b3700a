using System.Security.Cryptography;

namespace Herald.Common;

/// <summary>Prefixed random identifiers such as prj_5kq3x9... (lowercase base32, 120 bits).</summary>
public static class Ids
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string New(string prefix) => $"{prefix}_{RandomBase32(24)}";

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
        && value.Length == prefix.Length + 1 + 24
        && value.StartsWith(prefix + "_", StringComparison.Ordinal)
        && value.AsSpan(prefix.Length + 1).IndexOfAnyExcept(Alphabet) < 0;
}
