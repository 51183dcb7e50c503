using System.Collections;

namespace LogStore;

/// <summary>The ordered headers of one record. Keys may repeat, as in Kafka.</summary>
public sealed class Headers : IReadOnlyList<Header>
{
    private readonly List<Header> _headers = [];

    /// <summary>Adds a header at the end.</summary>
    public void Add(string key, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(key);
        _headers.Add(new Header(key, value));
    }

    /// <summary>The value of the last header with <paramref name="key"/>, or false when there is none.</summary>
    public bool TryGetLastValue(string key, out byte[]? value)
    {
        for (int i = _headers.Count - 1; i >= 0; i--)
        {
            if (_headers[i].Key == key)
            {
                value = _headers[i].Value;
                return true;
            }
        }
        value = null;
        return false;
    }

    /// <summary>Removes every header with <paramref name="key"/>.</summary>
    public void Remove(string key) => _headers.RemoveAll(h => h.Key == key);

    /// <inheritdoc/>
    public Header this[int index] => _headers[index];

    /// <inheritdoc/>
    public int Count => _headers.Count;

    /// <inheritdoc/>
    public IEnumerator<Header> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
