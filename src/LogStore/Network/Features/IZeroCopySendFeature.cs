using LogStore.Protocol;

namespace LogStore.Network.Features;

/// <summary>
/// A connection feature of transports that can send file bytes without copying them through user space (the socket
/// transport: <c>sendfile(2)</c> on Linux). Absent over TLS and in memory, where the caller copies the region through
/// the output pipe instead.
/// </summary>
internal interface IZeroCopySendFeature
{
    /// <summary>
    /// Flushes the connection's output pipe, waits until every byte written to it has left, then sends
    /// <paramref name="region"/> from its file. The caller must not write to the output pipe until this completes, so
    /// bytes written after it follow the region on the wire.
    /// </summary>
    ValueTask SendFileAsync(FileRegion region, CancellationToken cancellationToken);
}
