using System.Text;

namespace LogStore;

/// <summary>Kafka's rule for topic names; because the name becomes a directory name, the rule is also what keeps
/// every file inside the data directory.</summary>
internal static class TopicName
{
    public const int MaxLength = 249;

    public static void Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
            throw new InvalidTopicException(name, "the name is empty.");
        if (name is "." or "..")
            throw new InvalidTopicException(name, "'.' and '..' are not allowed.");
        if (name.Length > MaxLength)
            throw new InvalidTopicException(name, $"the name is {name.Length} characters long; the limit is {MaxLength}.");
        for (int i = 0; i < name.Length; i++)
        {
            if (!IsLegal(name[i]))
            {
                // The whole code point: an emoji is two chars, and half of one is not a character.
                bool whole = Rune.TryGetRuneAt(name, i, out Rune rune);
                string shown = InvalidTopicException.Printable(whole ? rune.ToString() : name[i].ToString());
                int codePoint = whole ? rune.Value : name[i];
                throw new InvalidTopicException(name, $"'{shown}' (U+{codePoint:X4}) is not allowed; use only a-z, A-Z, 0-9, '.', '_' and '-'.");
            }
        }
    }

    /// <summary>Whether <paramref name="name"/> passes <see cref="Validate"/>, without an exception (for names read from
    /// files, which may be hostile).</summary>
    public static bool IsValid(string? name) =>
        !string.IsNullOrEmpty(name) && name is not ("." or "..") && name.Length <= MaxLength && name.All(IsLegal);

    private static bool IsLegal(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';
}
