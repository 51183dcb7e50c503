namespace LogStore.Protocol;

/// <summary>The wire types a top-level response field of an API LogStore does not serve can have
/// (<see cref="UnsupportedApis"/>): enough to write its zero value and to walk over it.</summary>
internal enum ResponseFieldType : byte
{
    Int8,
    Int16,
    Int32,
    Int64,
    Bool,
    Uuid,
    String,
    NullableString,
    Bytes,
    NullableBytes,

    /// <summary>Any array, nullable or not, of any element type: always written empty.</summary>
    Array,

    /// <summary>A nullable struct: always written null (flexible versions only have them).</summary>
    NullableStruct,
}

/// <summary>One top-level field of a response body and the versions that have it (Kafka's <c>versions</c>).</summary>
internal readonly record struct ResponseField(string Name, ResponseFieldType Type, short FirstVersion, short LastVersion)
{
    /// <summary>True for the field that carries the response's error: it gets UNSUPPORTED_VERSION instead of zero.</summary>
    public bool IsErrorCode => Type == ResponseFieldType.Int16 && Name == "ErrorCode";

    public bool In(short version) => version >= FirstVersion && version <= LastVersion;
}

/// <summary>
/// The response layout of one API LogStore does not serve: the versions Kafka defines, the first flexible one (response
/// header v1, compact lengths, a tagged-field section) and the top-level fields in wire order. Tagged fields are left
/// out: their defaults are never written. Built from a compact description, <c>Name:type[@versions]</c> separated by
/// commas, where type is i8, i16, i32, i64, bool, uuid, str, str?, bytes, bytes?, [] or struct?, and versions is
/// <c>N+</c>, <c>N-M</c> or <c>N</c> (all versions when absent), as in Kafka's message schemas.
/// </summary>
internal sealed class UnsupportedApiLayout
{
    public UnsupportedApiLayout(ApiKey apiKey, short minVersion, short maxVersion, short firstFlexibleVersion, string fields)
    {
        ApiKey = apiKey;
        MinVersion = minVersion;
        MaxVersion = maxVersion;
        FirstFlexibleVersion = firstFlexibleVersion;
        Fields = Parse(apiKey, fields);
    }

    public ApiKey ApiKey { get; }

    public short MinVersion { get; }

    public short MaxVersion { get; }

    /// <summary>From this version on the request header is v2, the response header v1 and the body flexible;
    /// <see cref="short.MaxValue"/> for an API that is never flexible.</summary>
    public short FirstFlexibleVersion { get; }

    public IReadOnlyList<ResponseField> Fields { get; }

    public bool Defines(short version) => version >= MinVersion && version <= MaxVersion;

    public bool IsFlexible(short version) => version >= FirstFlexibleVersion;

    private static ResponseField[] Parse(ApiKey apiKey, string description)
    {
        string[] parts = description.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var fields = new ResponseField[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            int at = part.IndexOf('@', StringComparison.Ordinal);
            if (colon <= 0)
                throw new InvalidOperationException($"{apiKey}: field '{part}' has no type.");
            string type = at < 0 ? part[(colon + 1)..] : part[(colon + 1)..at];
            (short first, short last) = at < 0 ? ((short)0, short.MaxValue) : Versions(apiKey, part[(at + 1)..]);
            fields[i] = new ResponseField(part[..colon], type switch
            {
                "i8" => ResponseFieldType.Int8,
                "i16" => ResponseFieldType.Int16,
                "i32" => ResponseFieldType.Int32,
                "i64" => ResponseFieldType.Int64,
                "bool" => ResponseFieldType.Bool,
                "uuid" => ResponseFieldType.Uuid,
                "str" => ResponseFieldType.String,
                "str?" => ResponseFieldType.NullableString,
                "bytes" => ResponseFieldType.Bytes,
                "bytes?" => ResponseFieldType.NullableBytes,
                "[]" => ResponseFieldType.Array,
                "struct?" => ResponseFieldType.NullableStruct,
                _ => throw new InvalidOperationException($"{apiKey}: field '{part}' has an unknown type."),
            }, first, last);
        }
        return fields;
    }

    private static (short First, short Last) Versions(ApiKey apiKey, string versions)
    {
        if (versions.EndsWith('+'))
            return (short.Parse(versions[..^1], System.Globalization.CultureInfo.InvariantCulture), short.MaxValue);
        int dash = versions.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            short only = short.Parse(versions, System.Globalization.CultureInfo.InvariantCulture);
            return (only, only);
        }
        short first = short.Parse(versions[..dash], System.Globalization.CultureInfo.InvariantCulture);
        short last = short.Parse(versions[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return first <= last ? (first, last) : throw new InvalidOperationException($"{apiKey}: bad versions '{versions}'.");
    }
}
