using System.Net;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Network.Security;

/// <summary>SASL settings are checked when the broker opens, and the credential store keeps no password.</summary>
[TestFixture]
public sealed class KafkaListenerSaslOptionsTests : BrokerFixture
{
    private Task<Broker> OpenAsync(KafkaListenerSaslOptions sasl) => Broker.OpenAsync(new BrokerOptions
    {
        DataDirectory = Dir.Path,
        KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), Sasl = sasl },
    }).AsTask();

    [Test]
    public void NoMechanism_IsRefusedAtOpen()
    {
        var e = Assert.ThrowsAsync<ArgumentException>(() => OpenAsync(new KafkaListenerSaslOptions { Credentials = new SaslCredentialStore(), EnabledMechanisms = [] }));
        Assert.That(e!.ParamName, Is.EqualTo("EnabledMechanisms"));
    }

    [Test]
    public void UnknownMechanism_IsRefusedAtOpen()
    {
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OpenAsync(new KafkaListenerSaslOptions { Credentials = new SaslCredentialStore(), EnabledMechanisms = [(SaslMechanism)42] }));
    }

    [Test]
    public void TinyMaxReceiveSize_IsRefusedAtOpen()
    {
        var e = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OpenAsync(new KafkaListenerSaslOptions { Credentials = new SaslCredentialStore(), MaxReceiveSize = 4 }));
        Assert.That(e!.ParamName, Is.EqualTo("MaxReceiveSize"));
    }

    [TestCase(0)]
    [TestCase(-1000)]
    public void ConnectionsMaxReauthUnderAMillisecond_IsRefusedAtOpen(int ticks)
    {
        var e = Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OpenAsync(new KafkaListenerSaslOptions
        {
            Credentials = new SaslCredentialStore(),
            ConnectionsMaxReauth = TimeSpan.FromTicks(ticks),
        }));
        Assert.That(e!.ParamName, Is.EqualTo("ConnectionsMaxReauth"));
    }

    [Test]
    public void NullCredentials_AreRefusedAtOpen()
    {
        Assert.ThrowsAsync<ArgumentNullException>(() => OpenAsync(new KafkaListenerSaslOptions { Credentials = null! }));
    }

    [Test]
    public void Store_FindsEachMechanismsCredential_AndRemovesAUserWhole()
    {
        var store = new SaslCredentialStore();
        store.AddUser("alice", "wonderland");

        Assert.That(store.Find("alice", SaslMechanism.ScramSha256)!.Mechanism, Is.EqualTo(SaslMechanism.ScramSha256));
        Assert.That(store.Find("alice", SaslMechanism.ScramSha512)!.Mechanism, Is.EqualTo(SaslMechanism.ScramSha512));
        Assert.That(store.Find("alice", SaslMechanism.Plain)!.Mechanism, Is.EqualTo(SaslMechanism.ScramSha512));
        Assert.That(store.Find("Alice", SaslMechanism.ScramSha256), Is.Null, "user names are case-sensitive");
        Assert.That(store.Remove("alice"), Is.True);
        Assert.That(store.Find("alice", SaslMechanism.Plain), Is.Null);
        Assert.That(store.Remove("alice"), Is.False);
    }
}
