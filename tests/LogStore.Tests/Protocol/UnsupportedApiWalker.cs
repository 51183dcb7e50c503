using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>
/// Walks a whole response frame (size prefix removed) of an API LogStore does not serve, field by field over its
/// <see cref="UnsupportedApiLayout"/>, as a client that knows the API's schema would: the header, every top-level field
/// of the version, the tagged-field section when flexible, and nothing after it. Checks each value is the zero the
/// broker promises (UNSUPPORTED_VERSION in ErrorCode); throws <see cref="KafkaProtocolException"/> or
/// <see cref="InvalidOperationException"/> otherwise. Returns the correlation id.
/// </summary>
internal static class UnsupportedApiWalker
{
    public static int Walk(ReadOnlySequence<byte> frame, UnsupportedApiLayout layout, short version)
    {
        bool flexible = layout.IsFlexible(version);
        var reader = new KafkaReader(frame);
        int correlationId = reader.ReadInt32();
        if (flexible)
            Expect(reader.ReadUVarInt() == 0, "header tagged fields");
        foreach (ResponseField field in layout.Fields)
        {
            if (field.In(version))
                WalkField(ref reader, field, flexible);
        }
        if (flexible)
            Expect(reader.ReadUVarInt() == 0, "body tagged fields");
        reader.EnsureEnd($"{layout.ApiKey} v{version} response");
        return correlationId;
    }

    private static void WalkField(ref KafkaReader reader, ResponseField field, bool flexible)
    {
        string name = field.Name;
        switch (field.Type)
        {
            case ResponseFieldType.Int8:
            case ResponseFieldType.Bool:
                Expect(reader.ReadInt8() == 0, name);
                break;
            case ResponseFieldType.Int16:
                Expect(reader.ReadInt16() == (field.IsErrorCode ? 35 : 0), name);
                break;
            case ResponseFieldType.Int32:
                Expect(reader.ReadInt32() == 0, name);
                break;
            case ResponseFieldType.Int64:
                Expect(reader.ReadInt64() == 0, name);
                break;
            case ResponseFieldType.Uuid:
                Expect(reader.ReadUuid() == Guid.Empty, name);
                break;
            case ResponseFieldType.String:
                Expect(reader.ReadString(flexible).Length == 0, name);
                break;
            case ResponseFieldType.NullableString:
                Expect(reader.ReadNullableString(flexible) is null, name);
                break;
            case ResponseFieldType.Bytes:
                Expect(reader.ReadBytes(flexible).Length == 0, name);
                break;
            case ResponseFieldType.NullableBytes:
                Expect(reader.ReadNullableBytes(flexible) is null, name);
                break;
            case ResponseFieldType.Array:
                Expect(reader.ReadArrayLength(flexible) == 0, name);
                break;
            case ResponseFieldType.NullableStruct:
                Expect(reader.ReadInt8() == -1, name);
                break;
            default:
                throw new InvalidOperationException($"Unknown field type {field.Type}.");
        }
    }

    private static void Expect(bool condition, string what)
    {
        if (!condition)
            throw new InvalidOperationException($"{what} is not the value expected.");
    }
}
