using System.Net;

namespace LogStore.Network.Transport;

/// <summary>
/// One open connection of an <see cref="InMemoryNetwork"/> as its faults see it: an id given in connect order (so a
/// seeded choice among open links names the same link when the connects happened in the same order), the host it was
/// made from (null for a connection from outside every host, made with <see cref="InMemoryNetwork.ConnectAsync"/>), the
/// host it reaches and the endpoint it reaches there. Immutable.
/// </summary>
internal sealed record InMemoryLink(long Id, string? FromHost, string ToHost, EndPoint To)
{
    /// <summary>A connection of a host to itself: like loopback, a network fault never cuts or delays it (a pause,
    /// which stops the host, does hold it).</summary>
    public bool IsLoopback => FromHost == ToHost;

    /// <summary>Whether <paramref name="host"/> is at either end.</summary>
    public bool Touches(string host) => FromHost == host || ToHost == host;

    public override string ToString() => $"link {Id} ({FromHost ?? "outside"} -> {ToHost} at {To})";
}
