using System.Net.Security;

namespace LogStore.Network.Features;

/// <summary>
/// The TLS session of a connection that the TLS wrapper authenticated: its negotiated protocol and, when one was sent,
/// the client's certificate (a future principal for ACLs). Present only on encrypted connections.
/// </summary>
internal interface ISslStreamFeature
{
    SslStream SslStream { get; }
}
