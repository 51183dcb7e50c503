using System.Buffers;

namespace LogStore.Network.Client;

/// <summary>A response whose bytes (record sets included) are a pooled buffer, returned on dispose: read the records
/// before, never after.</summary>
internal readonly struct LeasedResponse<TResponse>(TResponse response, byte[]? buffer) : IDisposable
{
    public TResponse Response { get; } = response;

    public void Dispose()
    {
        if (buffer is not null)
            ArrayPool<byte>.Shared.Return(buffer);
    }
}
