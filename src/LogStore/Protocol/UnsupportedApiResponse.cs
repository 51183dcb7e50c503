namespace LogStore.Protocol;

/// <summary>
/// Writes the response to a request of an API LogStore does not serve, in the request's version, from its
/// <see cref="UnsupportedApiLayout"/>: the response header (v1 when the version is flexible), then every top-level field
/// the version has — UNSUPPORTED_VERSION (35) in ErrorCode, zero, false, empty or null elsewhere — then, when flexible,
/// an empty tagged-field section. The request's body is never read.
/// </summary>
internal static class UnsupportedApiResponse
{
    public static ResponseFrame Encode(int correlationId, UnsupportedApiLayout layout, short version)
    {
        var frame = new ResponseFrame();
        try
        {
            var writer = new KafkaWriter(frame);
            bool flexible = layout.IsFlexible(version);
            ResponseHeader.Write(ref writer, correlationId, flexible);
            WriteBody(ref writer, layout, version);
            return frame;
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    public static void WriteBody(ref KafkaWriter writer, UnsupportedApiLayout layout, short version)
    {
        bool flexible = layout.IsFlexible(version);
        foreach (ResponseField field in layout.Fields)
        {
            if (field.In(version))
                WriteZero(ref writer, field, flexible);
        }
        if (flexible)
            writer.WriteEmptyTaggedFields();
    }

    private static void WriteZero(ref KafkaWriter writer, ResponseField field, bool flexible)
    {
        switch (field.Type)
        {
            case ResponseFieldType.Int8:
            case ResponseFieldType.Bool:
                writer.WriteInt8(0);
                break;
            case ResponseFieldType.Int16:
                writer.WriteInt16(field.IsErrorCode ? (short)ErrorCode.UnsupportedVersion : (short)0);
                break;
            case ResponseFieldType.Int32:
                writer.WriteInt32(0);
                break;
            case ResponseFieldType.Int64:
                writer.WriteInt64(0);
                break;
            case ResponseFieldType.Uuid:
                writer.WriteUuid(Guid.Empty);
                break;
            case ResponseFieldType.String:
                writer.WriteString("", flexible);
                break;
            case ResponseFieldType.NullableString:
                writer.WriteNullableString(null, flexible);
                break;
            case ResponseFieldType.Bytes:
                writer.WriteBytes([], flexible);
                break;
            case ResponseFieldType.NullableBytes:
                writer.WriteNullableBytes(null, flexible);
                break;
            case ResponseFieldType.Array:
                writer.WriteArrayLength(0, flexible);
                break;
            case ResponseFieldType.NullableStruct:
                writer.WriteInt8(-1);   // Kafka's marker of a null struct
                break;
            default:
                throw new InvalidOperationException($"No zero value for field {field.Name} of type {field.Type}.");
        }
    }
}
