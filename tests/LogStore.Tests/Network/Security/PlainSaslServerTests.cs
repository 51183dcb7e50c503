using System.Text;
using LogStore.Network.Security;

namespace LogStore.Tests.Network.Security;

/// <summary>PLAIN against the salted credential store.</summary>
[TestFixture]
public sealed class PlainSaslServerTests
{
    private static PlainSaslServer Server(Action<SaslCredentialStore>? change = null)
    {
        var store = new SaslCredentialStore();
        store.AddUser("alice", "wonderland");
        change?.Invoke(store);
        return new PlainSaslServer(store);
    }

    private static byte[] Message(string text) => Encoding.UTF8.GetBytes(text);

    [TestCase("\0alice\0wonderland")]
    [TestCase("alice\0alice\0wonderland")]
    public void RightPassword_Authenticates(string message)
    {
        PlainSaslServer server = Server();

        Assert.That(server.EvaluateResponse(Message(message)), Is.Empty);
        Assert.That(server.IsComplete, Is.True);
        Assert.That(server.AuthorizationId, Is.EqualTo("alice"));
    }

    [TestCase("\0alice\0wonderlan", "Invalid username or password")]
    [TestCase("\0bob\0wonderland", "Invalid username or password")]
    [TestCase("bob\0alice\0wonderland", "authorization id that is different")]
    [TestCase("\0\0wonderland", "username not specified")]
    [TestCase("\0alice\0", "password not specified")]
    [TestCase("alice wonderland", "expected 3 tokens")]
    [TestCase("\0alice\0wonder\0land", "expected 3 tokens")]
    public void BadMessage_IsRefused(string message, string why)
    {
        PlainSaslServer server = Server();

        var e = Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Message(message)));
        Assert.That(e!.Message, Does.Contain(why));
        Assert.That(server.IsComplete, Is.False);
    }

    [Test]
    public void RemovedUser_IsRefused()
    {
        PlainSaslServer server = Server(store => store.Remove("alice"));

        Assert.Throws<SaslAuthenticationException>(() => server.EvaluateResponse(Message("\0alice\0wonderland")));
    }

    [Test]
    public void UserWithOnlyAScramSha256Credential_ChecksAgainstIt()
    {
        PlainSaslServer server = Server(store =>
        {
            store.Remove("alice");
            store.AddOrUpdate("carol", ScramCredential.Create("secret", SaslMechanism.ScramSha256));
        });

        server.EvaluateResponse(Message("\0carol\0secret"));
        Assert.That(server.AuthorizationId, Is.EqualTo("carol"));
    }
}
