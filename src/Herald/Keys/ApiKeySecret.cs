using System.Security.Cryptography;
using System.Text;
using Herald.Common;

namespace Herald.Keys;

/// <summary>Generates API key secrets and the values stored instead of them: a SHA-256 hash and a short visible prefix.</summary>
public static class ApiKeySecret
{
    private const string HeraldPrefix = "hk_";

    /// <summary>A new secret such as hk_admin_k3q...: the role is readable, the 40 random characters carry 200 bits.</summary>
    public static string Generate(string role) => $"{HeraldPrefix}{role}_{Ids.RandomBase32(40)}";

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The part shown later for recognition: "hk_admin_k3q9" for Herald keys, the first 6 characters otherwise.</summary>
    public static string VisiblePrefix(string secret)
    {
        if (secret.StartsWith(HeraldPrefix, StringComparison.Ordinal))
        {
            var roleEnd = secret.IndexOf('_', HeraldPrefix.Length);
            if (roleEnd > 0 && secret.Length > roleEnd + 4) return secret[..(roleEnd + 5)];
        }
        return secret[..Math.Min(6, secret.Length / 4)];
    }

    public static bool HashesEqual(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));
}
