using LogStore.Records;

namespace LogStore;

/// <summary>
/// Walks the headers of one <see cref="Record"/> in wire order (<c>foreach (RecordHeader h in record.Headers)</c>).
/// The headers were checked when the record was read, so this never throws on well-read records.
/// A mutable ref struct: enumerate it once, on one thread.
/// </summary>
public ref struct HeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _remaining;
    private RecordHeader _current;

    internal HeaderEnumerator(ReadOnlySpan<byte> data, int count)
    {
        _data = data;
        _position = 0;
        _remaining = count;
        _current = default;
    }

    /// <summary>Returns itself, so that <c>foreach</c> works on <see cref="Record.Headers"/>.</summary>
    public readonly HeaderEnumerator GetEnumerator() => this;

    /// <summary>The header at the current position.</summary>
    public readonly RecordHeader Current => _current;

    /// <summary>Moves to the next header; false after the last one.</summary>
    public bool MoveNext()
    {
        if (_remaining <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> data = _data;
        int position = _position;
        int keyLength = VarInt.ReadVarInt(data, ref position);
        ReadOnlySpan<byte> key = data.Slice(position, keyLength);
        position += keyLength;
        int valueLength = VarInt.ReadVarInt(data, ref position);
        ReadOnlySpan<byte> value = default;
        if (valueLength >= 0)
        {
            value = data.Slice(position, valueLength);
            position += valueLength;
        }

        _current = new RecordHeader(key, value, valueLength < 0);
        _position = position;
        _remaining--;
        return true;
    }
}
