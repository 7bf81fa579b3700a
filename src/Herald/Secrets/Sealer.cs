using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Herald.Secrets;

/// <summary>
/// Seals secrets at rest with AES-256-GCM: "v1.{keyId}.{base64url(nonce ‖ ciphertext ‖ tag)}", a random 96-bit nonce per
/// value. The context (e.g. "destinations.url:{id}") is authenticated, so a sealed value cannot be moved to another row.
/// </summary>
public sealed class Sealer(KeyRing keys)
{
    private const string Version = "v1";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public string Seal(string plaintext, string context)
    {
        var key = keys.Current;
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + plain.Length + TagSize];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key.Material, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize, plain.Length), output.AsSpan(NonceSize + plain.Length), Aad(key.Id, context));
        CryptographicOperations.ZeroMemory(plain);
        return $"{Version}.{key.Id}.{Base64Url.EncodeToString(output)}";
    }

    public string Open(string sealedValue, string context)
    {
        var (keyId, payload) = Split(sealedValue);
        var key = keys.Find(keyId) ?? throw new SealedValueException($"The value is sealed with master key '{keyId}', which is not configured.");
        if (payload.Length < NonceSize + TagSize) throw new SealedValueException("The sealed value is truncated.");
        var plain = new byte[payload.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key.Material, TagSize);
            aes.Decrypt(payload.AsSpan(0, NonceSize), payload.AsSpan(NonceSize, plain.Length), payload.AsSpan(NonceSize + plain.Length), plain, Aad(keyId, context));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SealedValueException($"The sealed value does not open with master key '{keyId}' (wrong key, or altered data).");
        }
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>The key id a sealed value was made with.</summary>
    public static string KeyIdOf(string sealedValue) => Split(sealedValue).KeyId;

    public bool IsSealedWithCurrentKey(string sealedValue) => KeyIdOf(sealedValue) == keys.Current.Id;

    private static (string KeyId, byte[] Payload) Split(string sealedValue)
    {
        var parts = sealedValue.Split('.');
        if (parts.Length != 3 || parts[0] != Version) throw new SealedValueException("The value is not a Herald sealed value.");
        try
        {
            return (parts[1], Base64Url.DecodeFromChars(parts[2]));
        }
        catch (FormatException)
        {
            throw new SealedValueException("The sealed value is not valid base64url.");
        }
    }

    private static byte[] Aad(string keyId, string context) => Encoding.UTF8.GetBytes($"herald:{Version}:{keyId}:{context}");
}

public sealed class SealedValueException(string message) : Exception(message);
