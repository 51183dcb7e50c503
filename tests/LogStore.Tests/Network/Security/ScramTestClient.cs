using System.Security.Cryptography;
using System.Text;

namespace LogStore.Tests.Network.Security;

/// <summary>The client's side of SCRAM-SHA-256/512 (RFC 5802), for tests that speak SASL by hand: client-first, then
/// client-final from the server's first message, and a check of the server's signature.</summary>
internal sealed class ScramTestClient(string user, string password, HashAlgorithmName hash)
{
    private readonly string _clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private string? _authMessage;
    private byte[]? _saltedPassword;

    public byte[] ClientFirst() => Encoding.UTF8.GetBytes("n,," + ClientFirstBare);

    private string ClientFirstBare => $"n={user},r={_clientNonce}";

    /// <summary>Client-final; with <paramref name="repeatClientNonce"/>, its nonce is the client's own again followed by the
    /// server's, as librdkafka 2.0 sends it.</summary>
    public byte[] ClientFinal(byte[] serverFirstBytes, bool repeatClientNonce = false)
    {
        string serverFirst = Encoding.UTF8.GetString(serverFirstBytes);
        Dictionary<string, string> attributes = serverFirst.Split(',').ToDictionary(a => a[..1], a => a[2..]);
        Assert.That(attributes["r"], Does.StartWith(_clientNonce), "the server's nonce extends the client's");
        byte[] salt = Convert.FromBase64String(attributes["s"]);
        int iterations = int.Parse(attributes["i"], System.Globalization.CultureInfo.InvariantCulture);
        int size = hash == HashAlgorithmName.SHA512 ? 64 : 32;
        _saltedPassword = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, hash, size);
        byte[] clientKey = Hmac(_saltedPassword, "Client Key");
        byte[] storedKey = hash == HashAlgorithmName.SHA512 ? SHA512.HashData(clientKey) : SHA256.HashData(clientKey);
        string withoutProof = "c=biws,r=" + (repeatClientNonce ? _clientNonce : "") + attributes["r"];
        _authMessage = $"{ClientFirstBare},{serverFirst},{withoutProof}";
        byte[] proof = Hmac(storedKey, _authMessage);
        for (int i = 0; i < proof.Length; i++)
            proof[i] ^= clientKey[i];
        return Encoding.UTF8.GetBytes($"{withoutProof},p={Convert.ToBase64String(proof)}");
    }

    /// <summary>True when server-final carries the signature only a server holding the credential can make.</summary>
    public bool IsServerFinalValid(byte[] serverFinal) =>
        Encoding.UTF8.GetString(serverFinal) == "v=" + Convert.ToBase64String(Hmac(Hmac(_saltedPassword!, "Server Key"), _authMessage!));

    private byte[] Hmac(byte[] key, string message) => hash == HashAlgorithmName.SHA512
        ? HMACSHA512.HashData(key, Encoding.UTF8.GetBytes(message))
        : HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(message));
}
