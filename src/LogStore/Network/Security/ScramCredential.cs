using System.Security.Cryptography;
using LogStore.Network.Security;

namespace LogStore;

/// <summary>
/// What a server keeps of a SCRAM user's password (RFC 5802, Kafka's ScramCredential): the salt, the iteration count,
/// StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key"), where
/// SaltedPassword = PBKDF2(password, salt, iterations). Neither key lets anyone log in, nor recovers the password.
/// Immutable.
/// </summary>
public sealed class ScramCredential
{
    /// <summary>The fewest iterations accepted, Kafka's minimum for SCRAM-SHA-256 and -512.</summary>
    public const int MinIterations = 4096;

    private readonly byte[] _salt;
    private readonly byte[] _storedKey;
    private readonly byte[] _serverKey;

    /// <summary>A credential from its stored parts (made elsewhere, e.g. by Kafka's <c>kafka-configs</c>).</summary>
    /// <param name="mechanism">SCRAM-SHA-256 or SCRAM-SHA-512: the hash the keys were made with.</param>
    /// <param name="salt">The salt, at least 16 bytes.</param>
    /// <param name="storedKey">StoredKey, the hash's length.</param>
    /// <param name="serverKey">ServerKey, the hash's length.</param>
    /// <param name="iterations">PBKDF2's iterations, at least <see cref="MinIterations"/>.</param>
    public ScramCredential(SaslMechanism mechanism, byte[] salt, byte[] storedKey, byte[] serverKey, int iterations)
    {
        int size = ScramFormatter.HashSize(mechanism);
        ArgumentNullException.ThrowIfNull(salt);
        ArgumentNullException.ThrowIfNull(storedKey);
        ArgumentNullException.ThrowIfNull(serverKey);
        if (salt.Length < 16)
            throw new ArgumentException("A SCRAM salt has at least 16 bytes.", nameof(salt));
        if (storedKey.Length != size)
            throw new ArgumentException($"{mechanism.Name()}'s StoredKey has {size} bytes.", nameof(storedKey));
        if (serverKey.Length != size)
            throw new ArgumentException($"{mechanism.Name()}'s ServerKey has {size} bytes.", nameof(serverKey));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        Mechanism = mechanism;
        Iterations = iterations;
        _salt = [.. salt];
        _storedKey = [.. storedKey];
        _serverKey = [.. serverKey];
    }

    /// <summary>The hash of this credential: <see cref="SaslMechanism.ScramSha256"/> or <see cref="SaslMechanism.ScramSha512"/>.</summary>
    public SaslMechanism Mechanism { get; }

    /// <summary>The salt given to PBKDF2.</summary>
    public ReadOnlyMemory<byte> Salt => _salt;

    /// <summary>H(ClientKey): what a client's proof is checked against.</summary>
    public ReadOnlyMemory<byte> StoredKey => _storedKey;

    /// <summary>The key the server signs its final message with, proving to the client it knew the credential.</summary>
    public ReadOnlyMemory<byte> ServerKey => _serverKey;

    /// <summary>PBKDF2's iteration count.</summary>
    public int Iterations { get; }

    /// <summary>Makes a credential from a password with a fresh random salt (32 bytes); the password is not kept.</summary>
    /// <param name="password">The user's password, as UTF-8 (Kafka applies no SASLprep either).</param>
    /// <param name="mechanism">SCRAM-SHA-256 or SCRAM-SHA-512.</param>
    /// <param name="iterations">PBKDF2's iterations, at least <see cref="MinIterations"/> (the default).</param>
    public static ScramCredential Create(string password, SaslMechanism mechanism, int iterations = MinIterations) =>
        Create(password, mechanism, iterations, RandomNumberGenerator.GetBytes(32));

    /// <summary>With a given salt: for RFC test vectors.</summary>
    internal static ScramCredential Create(string password, SaslMechanism mechanism, int iterations, byte[] salt)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        ScramFormatter.HashSize(mechanism);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, MinIterations);
        byte[] salted = ScramFormatter.SaltedPassword(mechanism, password, salt, iterations);
        try
        {
            byte[] storedKey = ScramFormatter.StoredKey(mechanism, salted);
            byte[] serverKey = ScramFormatter.ServerKey(mechanism, salted);
            return new ScramCredential(mechanism, salt, storedKey, serverKey, iterations);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(salted);
        }
    }

    /// <summary>Whether <paramref name="password"/> is the one this credential was made from, compared in constant time
    /// (PLAIN's check: the same PBKDF2, so no plaintext password is kept for it either).</summary>
    internal bool Matches(ReadOnlySpan<byte> password)
    {
        byte[] salted = ScramFormatter.SaltedPassword(Mechanism, password, _salt, Iterations);
        try
        {
            return CryptographicOperations.FixedTimeEquals(ScramFormatter.StoredKey(Mechanism, salted), _storedKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(salted);
        }
    }
}
