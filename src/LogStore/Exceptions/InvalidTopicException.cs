using System.Globalization;
using System.Text;

namespace LogStore;

/// <summary>
/// A topic name is refused: it breaks Kafka's rule (1 to 249 characters of [a-zA-Z0-9._-], and not "." or ".."), or
/// it names an internal topic (<c>__consumer_offsets</c> and Kafka's other reserved names), which users cannot create,
/// delete or write to (Kafka's INVALID_TOPIC_EXCEPTION).
/// </summary>
public sealed class InvalidTopicException : LogStoreException
{
    // Enough for any legal name (249) and its quotes: a longer one is cut, at a whole character.
    private const int MaxPrintedLength = 260;

    /// <summary>Creates the exception for <paramref name="topic"/>, saying why it is refused.</summary>
    public InvalidTopicException(string? topic, string reason)
        : base($"Invalid topic name '{Printable(topic)}': {reason}") => Topic = topic;

    private InvalidTopicException(string topic, string message, bool isInternal)
        : base(message)
    {
        Topic = topic;
        IsInternalTopic = isInternal;
    }

    /// <summary>The name that was refused.</summary>
    public string? Topic { get; }

    /// <summary>True when the name is legal but reserved for the broker: an internal topic such as
    /// <c>__consumer_offsets</c>, which only LogStore itself writes.</summary>
    public bool IsInternalTopic { get; }

    /// <summary>The refusal of <paramref name="action"/> ("append to", "delete", "create") on an internal topic.</summary>
    internal static InvalidTopicException ForInternalTopic(string topic, string action) =>
        new(topic, $"Cannot {action} internal topic '{topic}': " +
            (topic == InternalTopics.ConsumerOffsets ? "it holds every consumer group's committed offsets, and " : "the name is reserved by Kafka, and ") +
            "only LogStore itself writes, creates or deletes it.", isInternal: true);

    /// <summary>
    /// <paramref name="name"/> as it can be printed on one line: characters that are not printable (controls,
    /// format and separator characters, a surrogate without its pair) as <c>\uXXXX</c>, a backslash doubled; a
    /// well-formed surrogate pair (an emoji) is kept whole, never cut in half.
    /// </summary>
    internal static string Printable(string? name)
    {
        if (name is null)
            return "(null)";
        var text = new StringBuilder(Math.Min(name.Length, MaxPrintedLength) + 8);
        int i = 0;
        for (; i < name.Length && text.Length < MaxPrintedLength; i++)
        {
            char c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                text.Append(c).Append(name[++i]);
                continue;
            }
            if (c == '\\')
                text.Append(@"\\");
            else if (IsPrintable(c))
                text.Append(c);
            else
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }
        if (i < name.Length)
            text.Append(CultureInfo.InvariantCulture, $"… ({name.Length} characters)");
        return text.ToString();
    }

    private static bool IsPrintable(char c) => c == ' ' || char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.SpaceSeparator => false,
        _ => true,
    };
}
