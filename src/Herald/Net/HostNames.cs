using System.Globalization;
using System.Net;

namespace Herald.Net;

/// <summary>Host-name rules: internal names, and numeric spellings that resolvers read as IPv4 (2130706433, 0177.0.0.1, 0x7f.1, 127.1).</summary>
public static class HostNames
{
    private static readonly string[] InternalSuffixes = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa", ".lan", ".intranet"];

    /// <summary>The reason a host name may not be used as a destination, or null when it may.</summary>
    public static string? WhyRefused(string host)
    {
        if (host.EndsWith('.')) return "must not end with a dot.";
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return "must not be localhost.";
        if (InternalSuffixes.Any(s => host.EndsWith(s, StringComparison.OrdinalIgnoreCase) || host.Equals(s[1..], StringComparison.OrdinalIgnoreCase)))
            return "must be a public host name, not an internal one.";
        if (!host.Contains('.')) return "must be a fully qualified host name.";
        if (TryParseLooseIPv4(host, out _)) return "must not be a numeric host spelled in a non-standard form.";
        return null;
    }

    /// <summary>inet_aton-style parsing: 1–4 parts, each decimal, octal (leading 0) or hex (0x).</summary>
    public static bool TryParseLooseIPv4(string host, out IPAddress? address)
    {
        address = null;
        var parts = host.Split('.');
        if (parts.Length is < 1 or > 4) return false;
        var values = new ulong[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!TryParsePart(parts[i], out values[i])) return false;

        ulong result = 0;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            if (values[i] > 255) return false;
            result |= values[i] << (8 * (3 - i));
        }
        var lastBits = 8 * (5 - parts.Length);
        var last = values[^1];
        if (lastBits < 64 && last >= 1UL << lastBits) return false;
        result |= last;
        if (result > uint.MaxValue) return false;
        address = new IPAddress([(byte)(result >> 24), (byte)(result >> 16), (byte)(result >> 8), (byte)result]);
        return true;
    }

    private static bool TryParsePart(string part, out ulong value)
    {
        value = 0;
        if (part.Length == 0 || part.Length > 32) return false;
        if (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            return part.Length == 2 || ulong.TryParse(part.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        if (part.Length > 1 && part[0] == '0')
        {
            foreach (var c in part.AsSpan(1))
            {
                if (c is < '0' or > '7') return false;
                value = value * 8 + (ulong)(c - '0');
                if (value > uint.MaxValue) return false;
            }
            return true;
        }
        return part.All(char.IsAsciiDigit) && ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
