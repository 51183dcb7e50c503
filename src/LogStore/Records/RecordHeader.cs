using System.Text;

namespace LogStore;

/// <summary>
/// One header of a <see cref="Record"/>, read in place: a UTF-8 key (never null) and a value that may be
/// null. Spans point into the batch; valid as long as the record is. Immutable.
/// </summary>
public readonly ref struct RecordHeader
{
    private readonly ReadOnlySpan<byte> _key;
    private readonly ReadOnlySpan<byte> _value;

    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isValueNull)
    {
        _key = key;
        _value = value;
        IsValueNull = isValueNull;
    }

    /// <summary>The key's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Key => _key;

    /// <summary>The value's bytes; empty when null or empty (see <see cref="IsValueNull"/>).</summary>
    public ReadOnlySpan<byte> Value => _value;

    /// <summary>Whether the value is null (length -1).</summary>
    public bool IsValueNull { get; }

    /// <summary>The key decoded from UTF-8. Allocates a string.</summary>
    public string GetKeyString() => Encoding.UTF8.GetString(_key);

    /// <summary>Converts to a <see cref="Header"/>, copying key and value. Allocates.</summary>
    public Header ToHeader() => new(GetKeyString(), IsValueNull ? null : _value.ToArray());
}
