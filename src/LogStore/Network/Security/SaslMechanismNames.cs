namespace LogStore.Network.Security;

/// <summary>The names mechanisms have on the wire (SaslHandshake), as Kafka and clients spell them.</summary>
internal static class SaslMechanismNames
{
    public const string Plain = "PLAIN";
    public const string ScramSha256 = "SCRAM-SHA-256";
    public const string ScramSha512 = "SCRAM-SHA-512";

    public static string Name(this SaslMechanism mechanism) => mechanism switch
    {
        SaslMechanism.Plain => Plain,
        SaslMechanism.ScramSha256 => ScramSha256,
        SaslMechanism.ScramSha512 => ScramSha512,
        _ => throw new ArgumentOutOfRangeException(nameof(mechanism), mechanism, "Not a SASL mechanism."),
    };

    /// <summary>The mechanism a client asked for by name; SASL names are case-sensitive (RFC 4422), as in Kafka.</summary>
    public static SaslMechanism? Parse(string name) => name switch
    {
        Plain => SaslMechanism.Plain,
        ScramSha256 => SaslMechanism.ScramSha256,
        ScramSha512 => SaslMechanism.ScramSha512,
        _ => null,
    };
}
