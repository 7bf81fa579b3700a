using System.Security.Cryptography;
using System.Text;

namespace Herald.Secrets;

/// <summary>A 256-bit master key and its public id ("mk_" + 8 hex of a hash), stored beside every value it seals.</summary>
public sealed class MasterKey
{
    public const int Length = 32;

    public MasterKey(byte[] material)
    {
        if (material.Length != Length) throw new ArgumentException($"A master key is {Length} bytes.", nameof(material));
        Material = material;
        Id = "mk_" + Convert.ToHexStringLower(SHA256.HashData([.. "herald-master-key-id:"u8, .. material]))[..8];
    }

    public string Id { get; }
    internal byte[] Material { get; }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Length));

    /// <summary>Parses base64 of exactly 32 bytes; the error names what is wrong without echoing the value.</summary>
    public static bool TryParse(string? base64, out MasterKey? key, out string? error)
    {
        key = null;
        error = null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64?.Trim() ?? "");
        }
        catch (FormatException)
        {
            error = "is not valid base64";
            return false;
        }
        if (bytes.Length != Length)
        {
            error = $"must decode to {Length} bytes (got {bytes.Length}); make one with: openssl rand -base64 32";
            return false;
        }
        key = new MasterKey(bytes);
        return true;
    }

    public string ToBase64() => Convert.ToBase64String(Material);

    public byte[] Derive(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Material, 32, info: Encoding.UTF8.GetBytes(purpose));
}
