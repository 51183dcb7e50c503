using System.Security.Cryptography;
using System.Text;

namespace LogStore.Network.Security;

/// <summary>
/// PLAIN (RFC 4616, Kafka's PlainSaslServer): one message, <c>authzid NUL authcid NUL passwd</c> in UTF-8, checked
/// against the user's salted SCRAM credential by the same PBKDF2, in constant time. An authorization id other than the
/// user is refused, as Kafka does. Not thread-safe.
/// </summary>
internal sealed class PlainSaslServer(SaslCredentialStore credentials) : ISaslServer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // An unknown user costs the same PBKDF2 as a known one, so the time an answer takes does not tell who exists.
    private static readonly Lazy<ScramCredential> Nobody = new(() => ScramCredential.Create(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), SaslMechanism.ScramSha512));

    public bool IsComplete { get; private set; }

    public string? AuthorizationId { get; private set; }

    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        if (IsComplete)
            throw new SaslAuthenticationException("Authentication failed: PLAIN takes a single message.");
        int first = response.IndexOf((byte)0);
        int second = first < 0 ? -1 : response[(first + 1)..].IndexOf((byte)0);
        if (second < 0 || response[(first + 1 + second + 1)..].Contains((byte)0))
            throw new SaslAuthenticationException("Invalid SASL/PLAIN response: expected 3 tokens separated by NUL");
        second += first + 1;
        string authorizationId = Decode(response[..first]);
        string user = Decode(response[(first + 1)..second]);
        ReadOnlySpan<byte> password = response[(second + 1)..];
        if (user.Length == 0)
            throw new SaslAuthenticationException("Authentication failed: username not specified");
        if (password.IsEmpty)
            throw new SaslAuthenticationException("Authentication failed: password not specified");
        if (authorizationId.Length != 0 && authorizationId != user)
            throw new SaslAuthenticationException("Authentication failed: Client requested an authorization id that is different from username");
        ScramCredential? credential = credentials.Find(user, SaslMechanism.Plain);
        if (!(credential ?? Nobody.Value).Matches(password) || credential is null)
            throw new SaslAuthenticationException("Authentication failed: Invalid username or password");
        AuthorizationId = user;
        IsComplete = true;
        return [];
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new SaslAuthenticationException("Invalid SASL/PLAIN response: not UTF-8");
        }
    }
}
