using System.Net.Security;
using Microsoft.AspNetCore.Connections;

namespace LogStore.Network.Transport;

/// <summary>
/// Outbound TLS over any transport: connects with <paramref name="inner"/>, then authenticates as a client with
/// <paramref name="options"/> (the peer's expected name and trust, and this node's own certificate for mutual
/// authentication). A failed handshake closes the connection and throws. Thread-safe.
/// </summary>
internal sealed class TlsClientConnectionFactory(IConnectionFactory inner, SslClientAuthenticationOptions options) : IConnectionFactory
{
    /// <exception cref="System.Security.Authentication.AuthenticationException">The peer's certificate is refused, or
    /// the peer refused ours.</exception>
    public async ValueTask<ConnectionContext> ConnectAsync(System.Net.EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var connection = await inner.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var sslStream = new SslStream(new DuplexPipeStream(connection.Transport), leaveInnerStreamOpen: false);
        try
        {
            await sslStream.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return new TlsConnection(connection, sslStream);
        }
        catch
        {
            await sslStream.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
