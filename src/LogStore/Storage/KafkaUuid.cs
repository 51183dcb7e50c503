using System.Buffers.Text;

namespace LogStore.Storage;

/// <summary>
/// Kafka's <c>Uuid</c> as LogStore keeps it in a <see cref="Guid"/>: the 16 bytes in Kafka's (big-endian) order, as
/// the wire protocol carries them, and Kafka's text form, the bytes in URL-safe base64 without padding (22
/// characters, as <c>kafka-topics.sh --describe</c> prints a topic id).
/// </summary>
internal static class KafkaUuid
{
    /// <summary>Kafka's reserved id of the <c>__cluster_metadata</c> topic (0, 1): never a user topic's.</summary>
    public static readonly Guid MetadataTopicId = new([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], bigEndian: true);

    /// <summary>
    /// A new random topic id, drawn as Kafka's <c>Uuid.randomUuid</c> draws one: never the zero id (which means "no
    /// id" on the wire), never the reserved metadata id, and never one whose text starts with '-' (which a command
    /// line would read as an option).
    /// </summary>
    public static Guid NewTopicId()
    {
        while (true)
        {
            Guid id = Guid.NewGuid();
            if (id != Guid.Empty && id != MetadataTopicId && ToKafkaString(id)[0] != '-')
                return id;
        }
    }

    /// <summary>The 22-character text form.</summary>
    public static string ToKafkaString(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes, bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>Parses the text form; false for anything that is not exactly 16 bytes of URL-safe base64.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Guid id)
    {
        id = Guid.Empty;
        Span<byte> bytes = stackalloc byte[18];
        if (text.Length != 22)
            return false;
        int written;
        try
        {
            if (!Base64Url.TryDecodeFromChars(text, bytes, out written) || written != 16)
                return false;
        }
        catch (FormatException)
        {
            // Thrown (not returned as false) for a last character whose spare bits are set.
            return false;
        }
        id = new Guid(bytes[..16], bigEndian: true);
        // Only the canonical form: a 22-character text has 4 spare bits, which must be zero to round-trip.
        return ToKafkaString(id).AsSpan().SequenceEqual(text);
    }
}
