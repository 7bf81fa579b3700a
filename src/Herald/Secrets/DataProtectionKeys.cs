using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Herald.Secrets;

/// <summary>
/// The ASP.NET Core Data Protection key ring (it protects the console's session, anti-forgery and one-time-message cookies) lives
/// under the data directory and is sealed with Herald's master key like every other secret at rest, so a copy of the directory
/// without the master key cannot forge a console session. Keys sealed before a master-key rotation still open while the old key
/// is listed in Herald:Secrets:PreviousKeys; Data Protection replaces its keys every 90 days anyway.
/// </summary>
public sealed class SealedXmlEncryptor(IServiceProvider services) : IXmlEncryptor
{
    public const string Context = "data-protection.key";

    // The sealer (and with it the master key) is resolved on first use, not when Data Protection starts: a bad master-key setting
    // must reach the start-up message.
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var element = new XElement("sealed", services.GetRequiredService<Sealer>().Seal(plaintextElement.ToString(SaveOptions.DisableFormatting), Context));
        return new EncryptedXmlInfo(element, typeof(SealedXmlDecryptor));
    }
}

/// <summary>Opens a key sealed by <see cref="SealedXmlEncryptor"/>; Data Protection creates it by type name with the service provider.</summary>
public sealed class SealedXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) =>
        XElement.Parse(services.GetRequiredService<Sealer>().Open(encryptedElement.Value, SealedXmlEncryptor.Context));
}
