using System.Security.Cryptography;
using System.Text;

namespace Herald.Secrets;

/// <summary>
/// A stable, non-reversible id of a destination URL ("mkfp_" + 12 hex of a keyed HMAC), shown instead of the URL.
/// The HMAC key lives sealed in the database, so fingerprints stay the same across master-key rotations.
/// </summary>
public sealed class Fingerprinter
{
    private byte[]? _key;

    public string Of(string url)
    {
        var key = _key ?? throw new InvalidOperationException("The fingerprint key is not loaded yet.");
        return "mkfp_" + Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(url)))[..12];
    }

    internal void Load(byte[] key) => _key = key;
}
