using System.Text;
using LogStore.Network.Security;

namespace LogStore.Tests.Network.Security;

/// <summary>The SCRAM server against RFC 7677's SCRAM-SHA-256 exchange, and its refusals.</summary>
[TestFixture]
public sealed class ScramSaslServerTests
{
    // RFC 7677 §3: user "user", password "pencil".
    private const string ClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private const string ServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private const string ServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private const string ClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    private const string ServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    private static readonly byte[] Salt = Convert.FromBase64String("W22ZaJ0SNY7soEsUEjb6gQ==");

    private static ScramSaslServer Rfc7677Server()
    {
        var store = new SaslCredentialStore();
        store.AddOrUpdate("user", ScramCredential.Create("pencil", SaslMechanism.ScramSha256, 4096, Salt));
        return new ScramSaslServer(SaslMechanism.ScramSha256, store, ServerNonce);
    }

    private static string Evaluate(ISaslServer server, string message) =>
        Encoding.UTF8.GetString(server.EvaluateResponse(Encoding.UTF8.GetBytes(message)));

    [Test]
    public void Rfc7677Exchange_AnswersTheRfcsServerMessages()
    {
        ScramSaslServer server = Rfc7677Server();

        Assert.That(Evaluate(server, ClientFirst), Is.EqualTo(ServerFirst));
        Assert.That(server.IsComplete, Is.False);
        Assert.That(Evaluate(server, ClientFinal), Is.EqualTo(ServerFinal));
        Assert.That(server.IsComplete, Is.True);
        Assert.That(server.AuthorizationId, Is.EqualTo("user"));
    }

    [Test]
    public void Credential_KeepsOnlyTheSaltedKeys()
    {
        ScramCredential credential = ScramCredential.Create("pencil", SaslMechanism.ScramSha256, 4096, Salt);

        Assert.That(credential.Salt.ToArray(), Is.EqualTo(Salt));
        Assert.That(credential.Iterations, Is.EqualTo(4096));
        Assert.That(credential.StoredKey.Length, Is.EqualTo(32));
        Assert.That(credential.ServerKey.Length, Is.EqualTo(32));
        Assert.That(credential.Matches("pencil"u8), Is.True);
        Assert.That(credential.Matches("pencil!"u8), Is.False);
    }

    [Test]
    public void WrongProof_IsRefused()
    {
        ScramSaslServer server = Rfc7677Server();
        Evaluate(server, ClientFirst);
        string tampered = ClientFinal[..^6] + "AAAAA=";   // same length, other proof

        var e = Assert.Throws<SaslAuthenticationException>(() => Evaluate(server, tampered));
        Assert.That(e!.Message, Does.Contain("invalid credentials with SASL mechanism SCRAM-SHA-256"));
        Assert.That(server.IsComplete, Is.False);
    }

    [TestCase("c=biws,r=rOprNGfwEbeRWgbNEkqO-other,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "nonce")]
    [TestCase("c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", "channel binding")]
    [TestCase("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "no proof")]
    [TestCase("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=short", "bad proof")]
    public void MalformedClientFinal_IsRefused(string clientFinal, string why)
    {
        ScramSaslServer server = Rfc7677Server();
        Evaluate(server, ClientFirst);

        var e = Assert.Throws<SaslAuthenticationException>(() => Evaluate(server, clientFinal));
        Assert.That(e!.Message, Does.Contain(why));
    }

    [TestCase("n,,n=nobody,r=abc", "invalid credentials")]
    [TestCase("p=tls-unique,,n=user,r=abc", "channel binding is not supported")]
    [TestCase("n,a=admin,n=user,r=abc", "authorization id that is different")]
    [TestCase("n,,r=abc", "expected n=user,r=nonce")]
    [TestCase("garbage", "no gs2 header")]
    [TestCase("n,,n=us=xx,r=abc", "bad escape")]
    [TestCase("n,,n=us=2,r=abc", "bad escape")]
    public void BadClientFirst_IsRefused(string clientFirst, string why)
    {
        var e = Assert.Throws<SaslAuthenticationException>(() => Evaluate(Rfc7677Server(), clientFirst));
        Assert.That(e!.Message, Does.Contain(why));
    }

    [Test]
    public void NotUtf8_IsRefused()
    {
        Assert.Throws<SaslAuthenticationException>(() => Rfc7677Server().EvaluateResponse([0xff, 0xfe, 0x2c]));
    }

    [TestCase(SaslMechanism.ScramSha256)]
    [TestCase(SaslMechanism.ScramSha512)]
    public void ClientOfTheSameRfc_Authenticates_AndCanCheckTheServer(SaslMechanism mechanism)
    {
        var store = new SaslCredentialStore();
        store.AddUser("alice", "wonderland");
        var server = new ScramSaslServer(mechanism, store);
        const string clientFirstBare = "n=alice,r=clientnonce";

        string serverFirst = Evaluate(server, "n,," + clientFirstBare);
        Dictionary<char, string> attributes = serverFirst.Split(',').ToDictionary(a => a[0], a => a[2..]);
        byte[] salted = ScramFormatter.SaltedPassword(mechanism, "wonderland", Convert.FromBase64String(attributes['s']), int.Parse(attributes['i']));
        string withoutProof = $"c=biws,r={attributes['r']}";
        byte[] authMessage = Encoding.UTF8.GetBytes($"{clientFirstBare},{serverFirst},{withoutProof}");
        byte[] clientKey = ScramFormatter.ClientKey(mechanism, salted);
        byte[] proof = ScramFormatter.Hmac(mechanism, ScramFormatter.Hash(mechanism, clientKey), authMessage);
        for (int i = 0; i < proof.Length; i++)
            proof[i] ^= clientKey[i];
        string serverFinal = Evaluate(server, $"{withoutProof},p={Convert.ToBase64String(proof)}");

        byte[] expected = ScramFormatter.Hmac(mechanism, ScramFormatter.ServerKey(mechanism, salted), authMessage);
        Assert.That(serverFinal, Is.EqualTo("v=" + Convert.ToBase64String(expected)));
        Assert.That(server.AuthorizationId, Is.EqualTo("alice"));
    }

    [Test]
    public void Credential_RefusesTooFewIterationsAndShortSalts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ScramCredential.Create("pencil", SaslMechanism.ScramSha256, 1000));
        Assert.Throws<ArgumentException>(() => ScramCredential.Create("pencil", SaslMechanism.Plain));
        Assert.Throws<ArgumentException>(() => new ScramCredential(SaslMechanism.ScramSha256, new byte[8], new byte[32], new byte[32], 4096));
        Assert.Throws<ArgumentException>(() => new ScramCredential(SaslMechanism.ScramSha512, new byte[16], new byte[32], new byte[64], 4096));
    }

    [Test]
    public void EscapedUserName_IsDecoded()
    {
        var store = new SaslCredentialStore();
        store.AddUser("a,b=c", "pencil");
        var server = new ScramSaslServer(SaslMechanism.ScramSha256, store, "snonce");

        Assert.That(Evaluate(server, "n,,n=a=2Cb=3Dc,r=cnonce"), Does.StartWith("r=cnoncesnonce,s="));
    }

    [Test]
    public void ClientFinal_WhoseNonceRepeatsTheClientsBeforeTheServers_IsAccepted_AsKafkaDoes()
    {
        var credentials = new SaslCredentialStore();
        credentials.AddUser("alice", "wonderland");
        var server = new ScramSaslServer(SaslMechanism.ScramSha256, credentials);
        var client = new ScramTestClient("alice", "wonderland", System.Security.Cryptography.HashAlgorithmName.SHA256);
        byte[] serverFirst = server.EvaluateResponse(client.ClientFirst());

        byte[] serverFinal = server.EvaluateResponse(client.ClientFinal(serverFirst, repeatClientNonce: true));

        Assert.That(server.IsComplete, Is.True);
        Assert.That(client.IsServerFinalValid(serverFinal), Is.True);
    }
}
