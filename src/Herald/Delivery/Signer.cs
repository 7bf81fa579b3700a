using System.Security.Cryptography;
using System.Text;

namespace Herald.Delivery;

/// <summary>
/// Signs custom-webhook requests two ways: Standard Webhooks (webhook-id, webhook-timestamp,
/// webhook-signature: "v1,{base64 HMAC-SHA256(key, id.timestamp.body)}", key = base64 after "whsec_"), and
/// X-Herald-Signature: hex HMAC-SHA256 of the raw body keyed with the whole secret string, for simple verifiers.
/// While a rotated-out secret is still valid, both secrets sign (space-separated signatures).
/// </summary>
public static class Signer
{
    public const string HexHeader = "X-Herald-Signature";

    public static IReadOnlyList<KeyValuePair<string, string>> Headers(string messageId, DateTimeOffset timestamp, byte[] body,
        IReadOnlyList<string> secrets)
    {
        var unix = timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes($"{messageId}.{unix}.");
        var toSign = new byte[signed.Length + body.Length];
        signed.CopyTo(toSign, 0);
        body.CopyTo(toSign, signed.Length);

        var standard = string.Join(' ', secrets.Select(s => "v1," + Convert.ToBase64String(HMACSHA256.HashData(StandardKey(s), toSign))));
        var hex = string.Join(' ', secrets.Select(s => Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(s), body))));
        return
        [
            new("webhook-id", messageId),
            new("webhook-timestamp", unix),
            new("webhook-signature", standard),
            new(HexHeader, hex),
        ];
    }

    /// <summary>The Standard Webhooks key: the base64 part after "whsec_" (raw UTF-8 bytes if it is not base64).</summary>
    public static byte[] StandardKey(string secret)
    {
        var encoded = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret;
        try
        {
            return Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            return Encoding.UTF8.GetBytes(encoded);
        }
    }
}
