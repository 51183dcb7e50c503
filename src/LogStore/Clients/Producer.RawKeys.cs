using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace LogStore.Clients;

// Keys the built-in serializers write (bytes as they are, big-endian integers, short UTF-8 strings) are written straight
// into a small stack buffer, so a keyed record with a raw value skips the scratch buffer and its second copy of the value.
internal sealed partial class Producer<TKey, TValue>
{
    /// <summary>The stack buffer for a key: a long, an int, or a string of up to a third as many chars.</summary>
    private const int RawKeyBytes = 96;

    private readonly RawKey _rawKey;

    private enum RawKey : byte
    {
        None,
        Bytes,
        Memory,
        Int32,
        Int64,
        Utf8,
    }

    private static RawKey RawKeyOf(ISerializer<TKey> serializer) => serializer switch
    {
        _ when ReferenceEquals(serializer, Serializers.ByteArray) => RawKey.Bytes,
        _ when ReferenceEquals(serializer, Serializers.ReadOnlyMemory) => RawKey.Memory,
        _ when ReferenceEquals(serializer, Serializers.Int32) => RawKey.Int32,
        _ when ReferenceEquals(serializer, Serializers.Int64) => RawKey.Int64,
        _ when ReferenceEquals(serializer, Serializers.Utf8) => RawKey.Utf8,
        _ => RawKey.None,
    };

    /// <summary>The bytes of a non-null <paramref name="key"/> as its built-in serializer writes them: the caller's own
    /// bytes, or written into <paramref name="buffer"/>. False for a custom serializer or a string too long for the buffer.</summary>
    private bool TryWriteKey(TKey key, Span<byte> buffer, out ReadOnlySpan<byte> bytes)
    {
        switch (_rawKey)
        {
            case RawKey.Bytes:
                bytes = Unsafe.As<TKey, byte[]>(ref key);
                return true;
            case RawKey.Memory:
                bytes = Unsafe.As<TKey, ReadOnlyMemory<byte>>(ref key).Span;
                return true;
            case RawKey.Int32:
                BinaryPrimitives.WriteInt32BigEndian(buffer, Unsafe.As<TKey, int>(ref key));
                bytes = buffer[..sizeof(int)];
                return true;
            case RawKey.Int64:
                BinaryPrimitives.WriteInt64BigEndian(buffer, Unsafe.As<TKey, long>(ref key));
                bytes = buffer[..sizeof(long)];
                return true;
            case RawKey.Utf8:
                string text = Unsafe.As<TKey, string>(ref key);
                if (text.Length * 3 <= buffer.Length)
                {
                    bytes = buffer[..Encoding.UTF8.GetBytes(text, buffer)];
                    return true;
                }
                break;
        }
        bytes = default;
        return false;
    }
}
