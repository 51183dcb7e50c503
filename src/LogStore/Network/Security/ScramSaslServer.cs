using System.Security.Cryptography;
using System.Text;

namespace LogStore.Network.Security;

/// <summary>
/// SCRAM-SHA-256/512 (RFC 5802 and 7677, Kafka's ScramSaslServer), two rounds: client-first
/// (<c>n,,n=user,r=cnonce</c>) is answered server-first (<c>r=cnonce+snonce,s=salt,i=iterations</c>); client-final
/// (<c>c=biws,r=nonce,p=proof</c>) is checked — ClientKey = proof XOR HMAC(StoredKey, AuthMessage) must hash to StoredKey,
/// compared in constant time — and answered server-final (<c>v=</c>HMAC(ServerKey, AuthMessage)). Channel binding is
/// not supported, as in Kafka. Not thread-safe.
/// </summary>
internal sealed class ScramSaslServer : ISaslServer
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly SaslMechanism _mechanism;
    private readonly SaslCredentialStore _credentials;
    private readonly string _serverNonce;
    private ScramCredential? _credential;
    private string? _user;
    private string? _gs2Header;
    private string? _clientFirstBare;
    private string? _serverFirst;
    private string? _nonce;

    public ScramSaslServer(SaslMechanism mechanism, SaslCredentialStore credentials)
        : this(mechanism, credentials, Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)))
    {
    }

    /// <summary>With a given server nonce: for RFC test vectors.</summary>
    internal ScramSaslServer(SaslMechanism mechanism, SaslCredentialStore credentials, string serverNonce)
    {
        ScramFormatter.HashSize(mechanism);
        _mechanism = mechanism;
        _credentials = credentials;
        _serverNonce = serverNonce;
    }

    public bool IsComplete { get; private set; }

    public string? AuthorizationId => IsComplete ? _user : null;

    public byte[] EvaluateResponse(ReadOnlySpan<byte> response)
    {
        string message = Decode(response);
        if (IsComplete)
            throw new SaslAuthenticationException("Authentication failed: the SCRAM exchange is already complete.");
        return Encoding.UTF8.GetBytes(_serverFirst is null ? ClientFirst(message) : ClientFinal(message));
    }

    /// <summary>Reads client-first and answers server-first.</summary>
    private string ClientFirst(string message)
    {
        // gs2-header: a channel-binding flag (n: client does not support it, y: thinks we do not), an optional
        // authzid, each followed by a comma.
        int flagEnd = message.IndexOf(',');
        int authzEnd = flagEnd < 0 ? -1 : message.IndexOf(',', flagEnd + 1);
        if (authzEnd < 0)
            throw Invalid("client-first", "no gs2 header");
        string flag = message[..flagEnd];
        if (flag.StartsWith("p=", StringComparison.Ordinal))
            throw new SaslAuthenticationException("Authentication failed: channel binding is not supported");
        if (flag is not ("n" or "y"))
            throw Invalid("client-first", "bad channel-binding flag");
        string authzid = message[(flagEnd + 1)..authzEnd];
        if (authzid.Length != 0 && !authzid.StartsWith("a=", StringComparison.Ordinal))
            throw Invalid("client-first", "bad authorization id");
        _gs2Header = message[..(authzEnd + 1)];
        _clientFirstBare = message[(authzEnd + 1)..];
        string[] attributes = _clientFirstBare.Split(',');
        if (attributes.Length < 2 || !attributes[0].StartsWith("n=", StringComparison.Ordinal) || !attributes[1].StartsWith("r=", StringComparison.Ordinal))
            throw Invalid("client-first", "expected n=user,r=nonce");
        string user = DecodeName(attributes[0][2..]);
        string clientNonce = attributes[1][2..];
        if (user.Length == 0 || clientNonce.Length == 0)
            throw Invalid("client-first", "empty user or nonce");
        if (authzid.Length != 0 && DecodeName(authzid[2..]) != user)
            throw new SaslAuthenticationException("Authentication failed: Client requested an authorization id that is different from username");
        _credential = _credentials.Find(user, _mechanism) ?? throw SaslAuthenticationException.InvalidCredentials(_mechanism);
        _user = user;
        _nonce = clientNonce + _serverNonce;
        _serverFirst = $"r={_nonce},s={Convert.ToBase64String(_credential.Salt.Span)},i={_credential.Iterations}";
        return _serverFirst;
    }

    /// <summary>Checks client-final's binding, nonce and proof, and answers server-final.</summary>
    private string ClientFinal(string message)
    {
        int proofAt = message.LastIndexOf(",p=", StringComparison.Ordinal);
        if (proofAt < 0)
            throw Invalid("client-final", "no proof");
        string withoutProof = message[..proofAt];
        string[] attributes = withoutProof.Split(',');
        if (attributes.Length < 2 || !attributes[0].StartsWith("c=", StringComparison.Ordinal) || !attributes[1].StartsWith("r=", StringComparison.Ordinal))
            throw Invalid("client-final", "expected c=binding,r=nonce");
        if (attributes[0][2..] != Convert.ToBase64String(Encoding.UTF8.GetBytes(_gs2Header!)))
            throw Invalid("client-final", "channel binding differs from the gs2 header");
        // Kafka checks that the nonce ends with the one it sent, not that it equals it: librdkafka 2.0 (kcat in Debian 12)
        // sends its own nonce again in front, and the proof covers the message as sent either way.
        if (!attributes[1][2..].EndsWith(_nonce!, StringComparison.Ordinal))
            throw Invalid("client-final", "nonce mismatch");
        int size = ScramFormatter.HashSize(_mechanism);
        Span<byte> proof = stackalloc byte[size];
        if (!Convert.TryFromBase64String(message[(proofAt + 3)..], proof, out int written) || written != size)
            throw Invalid("client-final", "bad proof");

        byte[] authMessage = Encoding.UTF8.GetBytes($"{_clientFirstBare},{_serverFirst},{withoutProof}");
        ScramCredential credential = _credential!;
        byte[] clientSignature = ScramFormatter.Hmac(_mechanism, credential.StoredKey.Span, authMessage);
        for (int i = 0; i < size; i++)
            clientSignature[i] ^= proof[i];   // now the ClientKey the client claims
        if (!CryptographicOperations.FixedTimeEquals(ScramFormatter.Hash(_mechanism, clientSignature), credential.StoredKey.Span))
            throw SaslAuthenticationException.InvalidCredentials(_mechanism);
        IsComplete = true;
        return "v=" + Convert.ToBase64String(ScramFormatter.Hmac(_mechanism, credential.ServerKey.Span, authMessage));
    }

    /// <summary>A saslname with its escapes undone (RFC 5802: "=2C" is ',' and "=3D" is '='; any other '=' is bad).</summary>
    private string DecodeName(string name)
    {
        if (!name.Contains('='))
            return name;
        var decoded = new StringBuilder(name.Length);
        for (int i = 0; i < name.Length; i++)
        {
            if (name[i] != '=')
            {
                decoded.Append(name[i]);
                continue;
            }
            string escape = name.Substring(i, Math.Min(3, name.Length - i));
            decoded.Append(escape switch
            {
                "=2C" => ',',
                "=3D" => '=',
                _ => throw Invalid("client-first", "bad escape in the user name"),
            });
            i += 2;
        }
        return decoded.ToString();
    }

    private SaslAuthenticationException Invalid(string message, string why) =>
        new($"Authentication failed: invalid {_mechanism.Name()} {message} message ({why})");

    private string Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Invalid("client", "not UTF-8");
        }
    }
}
