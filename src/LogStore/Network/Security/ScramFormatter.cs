using System.Security.Cryptography;
using System.Text;

namespace LogStore.Network.Security;

/// <summary>SCRAM's functions (RFC 5802 §2.2, Kafka's ScramFormatter): Hi is PBKDF2 with the mechanism's HMAC, and the
/// client, stored and server keys derived from the salted password. Stateless.</summary>
internal static class ScramFormatter
{
    private static readonly byte[] ClientKeyLabel = "Client Key"u8.ToArray();
    private static readonly byte[] ServerKeyLabel = "Server Key"u8.ToArray();

    public static int HashSize(SaslMechanism mechanism) => mechanism switch
    {
        SaslMechanism.ScramSha256 => SHA256.HashSizeInBytes,
        SaslMechanism.ScramSha512 => SHA512.HashSizeInBytes,
        _ => throw new ArgumentException($"{mechanism} is not a SCRAM mechanism.", nameof(mechanism)),
    };

    public static byte[] SaltedPassword(SaslMechanism mechanism, string password, ReadOnlySpan<byte> salt, int iterations) =>
        SaltedPassword(mechanism, Encoding.UTF8.GetBytes(password), salt, iterations);

    public static byte[] SaltedPassword(SaslMechanism mechanism, ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashName(mechanism), HashSize(mechanism));

    public static byte[] Hmac(SaslMechanism mechanism, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        mechanism == SaslMechanism.ScramSha512 ? HMACSHA512.HashData(key, data) : HMACSHA256.HashData(key, data);

    public static byte[] Hash(SaslMechanism mechanism, ReadOnlySpan<byte> data) =>
        mechanism == SaslMechanism.ScramSha512 ? SHA512.HashData(data) : SHA256.HashData(data);

    public static byte[] ClientKey(SaslMechanism mechanism, byte[] saltedPassword) => Hmac(mechanism, saltedPassword, ClientKeyLabel);

    public static byte[] StoredKey(SaslMechanism mechanism, byte[] saltedPassword) => Hash(mechanism, ClientKey(mechanism, saltedPassword));

    public static byte[] ServerKey(SaslMechanism mechanism, byte[] saltedPassword) => Hmac(mechanism, saltedPassword, ServerKeyLabel);

    private static HashAlgorithmName HashName(SaslMechanism mechanism) =>
        mechanism == SaslMechanism.ScramSha512 ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256;
}
