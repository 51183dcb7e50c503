using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using LogStore.Protocol;

namespace LogStore.Tests.Network.Security;

/// <summary>Kafka's legacy SASL flow over a raw socket: SaslHandshake v0, then the mechanism's tokens framed by their
/// size alone, answered the same way; then the connection is served as any authenticated one.</summary>
[TestFixture]
public sealed class SaslLegacyHandshakeTests : SaslWireFixture
{
    [SetUp]
    public Task Connect() => ConnectAsync(credentials => new KafkaListenerSaslOptions
    {
        Credentials = credentials,
        EnabledMechanisms = [SaslMechanism.Plain, SaslMechanism.ScramSha256, SaslMechanism.ScramSha512],
    });

    [Test]
    public async Task Plain_RawToken_IsAnsweredWithAnEmptyToken_ThenRequestsAreServed()
    {
        await HandshakeV0Async("PLAIN");

        byte[] answer = await ExchangeRawAsync(Encoding.UTF8.GetBytes("\0alice\0wonderland"));

        Assert.That(answer, Is.Empty);
        await AssertMetadataServedAsync();
        Assert.That(Logs.WithId(5015).Single().Message, Does.Contain("authenticated as alice with SASL PLAIN"));
    }

    [TestCase("SCRAM-SHA-256")]
    [TestCase("SCRAM-SHA-512")]
    public async Task Scram_RawTokens_CompleteTheExchange_ThenRequestsAreServed(string mechanism)
    {
        var scram = new ScramTestClient("alice", "wonderland", mechanism.EndsWith("512", StringComparison.Ordinal) ? HashAlgorithmName.SHA512 : HashAlgorithmName.SHA256);
        await HandshakeV0Async(mechanism);

        byte[] serverFirst = await ExchangeRawAsync(scram.ClientFirst());
        byte[] serverFinal = await ExchangeRawAsync(scram.ClientFinal(serverFirst));

        Assert.That(scram.IsServerFinalValid(serverFinal), Is.True, Encoding.UTF8.GetString(serverFinal));
        await AssertMetadataServedAsync();
    }

    [Test]
    public async Task WrongPassword_RawToken_ClosesTheConnectionWithoutAnswer_Logged()
    {
        await HandshakeV0Async("PLAIN");

        await Client.SendAsync(RawFrame(Encoding.UTF8.GetBytes("\0alice\0looking-glass")), Timeout.Token);

        Assert.That(await Client.IsClosedByServerAsync(Timeout.Token), Is.True);
        Assert.That(Logs.WithId(5014), Has.Count.EqualTo(1));
    }

    private async Task HandshakeV0Async(string mechanism)
    {
        await SendAsync(0, new SaslHandshakeRequest { Mechanism = mechanism });
        byte[] response = await Client.ReadResponseAsync(Timeout.Token);
        SaslHandshakeResponse handshake = ResponseDecoder.Read<SaslHandshakeResponse>(new ReadOnlySequence<byte>(response), 0, false, out _);
        Assert.That(handshake.ErrorCode, Is.EqualTo(ErrorCode.None));
    }

    private async Task<byte[]> ExchangeRawAsync(byte[] token)
    {
        await Client.SendAsync(RawFrame(token), Timeout.Token);
        return await Client.ReadResponseAsync(Timeout.Token);
    }

    private static byte[] RawFrame(byte[] token)
    {
        var frame = new byte[4 + token.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, token.Length);
        token.CopyTo(frame, 4);
        return frame;
    }
}
