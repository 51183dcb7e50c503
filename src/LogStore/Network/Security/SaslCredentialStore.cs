using System.Collections.Concurrent;
using LogStore.Network.Security;

namespace LogStore;

/// <summary>
/// The users a Kafka listener authenticates (<see cref="KafkaListenerSaslOptions.Credentials"/>), each with a salted
/// <see cref="ScramCredential"/> per SCRAM mechanism, as Kafka's credential cache; no password is kept. PLAIN checks a
/// password against the user's SCRAM-SHA-512 credential, else its SCRAM-SHA-256 one. Thread-safe: users may be added
/// and removed while the listener runs; a change applies to the next authentication.
/// </summary>
public sealed class SaslCredentialStore
{
    private readonly ConcurrentDictionary<(string User, SaslMechanism Mechanism), ScramCredential> _credentials = new();

    /// <summary>Adds or replaces <paramref name="user"/>'s credential for its mechanism.</summary>
    public void AddOrUpdate(string user, ScramCredential credential)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(credential);
        _credentials[(user, credential.Mechanism)] = credential;
    }

    /// <summary>Adds or replaces <paramref name="user"/> with SCRAM-SHA-256 and SCRAM-SHA-512 credentials made from
    /// <paramref name="password"/> (<see cref="ScramCredential.Create(string, SaslMechanism, int)"/>), which serve PLAIN too.</summary>
    public void AddUser(string user, string password, int iterations = ScramCredential.MinIterations)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        AddOrUpdate(user, ScramCredential.Create(password, SaslMechanism.ScramSha256, iterations));
        AddOrUpdate(user, ScramCredential.Create(password, SaslMechanism.ScramSha512, iterations));
    }

    /// <summary>Removes every credential of <paramref name="user"/>; false when it had none.</summary>
    public bool Remove(string user)
    {
        ArgumentNullException.ThrowIfNull(user);
        bool removed = _credentials.TryRemove((user, SaslMechanism.ScramSha256), out _);
        return _credentials.TryRemove((user, SaslMechanism.ScramSha512), out _) | removed;
    }

    /// <summary>The user's credential for a SCRAM mechanism; for PLAIN, the one its password is checked against.</summary>
    internal ScramCredential? Find(string user, SaslMechanism mechanism)
    {
        if (mechanism != SaslMechanism.Plain)
            return _credentials.GetValueOrDefault((user, mechanism));
        return _credentials.GetValueOrDefault((user, SaslMechanism.ScramSha512)) ?? _credentials.GetValueOrDefault((user, SaslMechanism.ScramSha256));
    }
}
