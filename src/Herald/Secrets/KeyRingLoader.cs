using Herald.Options;
using Microsoft.Extensions.Options;

using Herald.Common;

namespace Herald.Secrets;

/// <summary>
/// Builds the key ring from Herald:Secrets:MasterKey and :PreviousKeys, or on the embedded default from
/// {DataDirectory}/master.key, generated (mode 0600) on first start.
/// </summary>
public static class KeyRingLoader
{
    public const string KeyFileName = "master.key";

    public static KeyRing Load(IOptions<HeraldOptions> options, ILogger logger)
    {
        var o = options.Value;
        var previous = o.Secrets.PreviousKeys.Where(k => !string.IsNullOrWhiteSpace(k)).Select(k => MasterKey.TryParse(k, out var key, out _) ? key! : throw new StartupException(
            "Herald:Secrets:PreviousKeys holds a value that is not a base64 32-byte key.")).ToList();

        if (!string.IsNullOrWhiteSpace(o.Secrets.MasterKey))
        {
            if (!MasterKey.TryParse(o.Secrets.MasterKey, out var configured, out var error))
                throw new StartupException($"Herald:Secrets:MasterKey {error}.");
            return new KeyRing(configured!, previous);
        }

        var path = Path.Combine(o.DataDirectory, KeyFileName);
        if (File.Exists(path))
        {
            if (!MasterKey.TryParse(File.ReadAllText(path), out var stored, out var error))
                throw new StartupException($"The master key file {Path.GetFullPath(path)} {error}.");
            return new KeyRing(stored!, previous);
        }

        var generated = MasterKey.Generate();
        PrivateFile.EnsureDirectory(o.DataDirectory);
        PrivateFile.Write(path, generated.ToBase64() + "\n");
        logger.LogWarning("Generated a new master key in {KeyFile}. Back it up: sealed URLs and secrets cannot be opened without it.", Path.GetFullPath(path));
        return new KeyRing(generated, previous);
    }
}
