using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Network.Security;

/// <summary>Kafka's legacy SASL flow, after a SaslHandshake v0: each client token arrives as a frame of its own, its
/// 4-byte size and the token's bytes, no request header; each answer goes back the same way (an empty one when the
/// mechanism has nothing to say, as Kafka sends for PLAIN). A failure is not answered: the connection closes, logged.</summary>
internal sealed partial class SaslServerAuthenticator
{
    /// <summary>The answer to one raw token (a frame of the server's token alone), or null when the connection closes.</summary>
    public ResponseFrame? HandleRawToken(ReadOnlySequence<byte> token, KafkaConnectionInfo connection)
    {
        // Tokens are small (the frame limit before authentication bounds them) and rare: a copy keeps the code plain.
        if (!TryEvaluate(token.ToArray(), connection, out byte[] challenge, out _))
            return null;
        var frame = new ResponseFrame();
        var writer = new KafkaWriter(frame);
        writer.WriteRaw(challenge);
        return frame;
    }
}
