using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace LogStore.Tool;

/// <summary>
/// Usage errors in the user's words. System.CommandLine names the .NET type a value failed to convert to ("as expected
/// type 'System.Nullable`1[System.Int64]'") and, when its own error action is not used, suggests nothing for a typo.
/// <see cref="Apply"/> gives every number and enum option of a command tree a parser whose error says what the option
/// takes; <see cref="DidYouMean"/> finds the option or command an unrecognized word was probably meant to be. Stateless.
/// </summary>
internal static class UsageErrors
{
    /// <summary>Installs a parser with a plain error on every whole-number and enum option of <paramref name="command"/>
    /// and its subcommands that has no parser of its own.</summary>
    public static void Apply(Command command)
    {
        foreach (Option option in command.Options)
        {
            switch (option)
            {
                case Option<int> o when o.CustomParser is null:
                    o.CustomParser = r => (int)(Whole(r, o.Name, int.MinValue, int.MaxValue) ?? 0);
                    break;
                case Option<int?> o when o.CustomParser is null:
                    o.CustomParser = r => (int?)Whole(r, o.Name, int.MinValue, int.MaxValue);
                    break;
                case Option<long> o when o.CustomParser is null:
                    o.CustomParser = r => Whole(r, o.Name, long.MinValue, long.MaxValue) ?? 0;
                    break;
                case Option<long?> o when o.CustomParser is null:
                    o.CustomParser = r => Whole(r, o.Name, long.MinValue, long.MaxValue);
                    break;
                case Option<CompressionType> o when o.CustomParser is null:
                    o.CustomParser = r => OneOf<CompressionType>(r, o.Name);
                    break;
                case Option<Consuming.OutputFormat> o when o.CustomParser is null:
                    o.CustomParser = r => OneOf<Consuming.OutputFormat>(r, o.Name);
                    break;
            }
        }
        foreach (Command subcommand in command.Subcommands)
            Apply(subcommand);
    }

    /// <summary>
    /// " Did you mean '--offset'?" when <paramref name="word"/> is a likely typo of an option (for a word starting with
    /// '-') or a subcommand of <paramref name="command"/>: at most a third of its letters wrong, or the start of exactly
    /// one of them. Empty when nothing is close.
    /// </summary>
    public static string DidYouMean(Command command, string word)
    {
        IEnumerable<string> candidates = word.StartsWith('-')
            ? command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
            : command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        string[] names = candidates.Distinct(StringComparer.Ordinal).ToArray();
        string[] prefixed = word.Length >= 3 ? names.Where(n => n.StartsWith(word, StringComparison.Ordinal)).ToArray() : [];
        if (prefixed.Length == 1)
            return $" Did you mean '{prefixed[0]}'?";
        int allowed = Math.Max(1, word.TrimStart('-').Length / 3);
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in names)
        {
            int distance = Distance(word, name);
            if (distance < bestDistance)
                (best, bestDistance) = (name, distance);
        }
        return best is not null && bestDistance <= allowed ? $" Did you mean '{best}'?" : "";
    }

    private static long? Whole(ArgumentResult result, string option, long min, long max)
    {
        string text = result.Tokens[^1].Value;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            result.AddError($"{option} must be a whole number, not '{text}'.");
            return null;
        }
        if (value < min || value > max)
        {
            result.AddError($"{option} must be a whole number from {min} to {max}, not {text}.");
            return null;
        }
        return value;
    }

    private static T OneOf<T>(ArgumentResult result, string option)
        where T : struct, Enum
    {
        string text = result.Tokens[^1].Value;
        // Names only: Enum.TryParse would also take a number ("7") that names no value.
        foreach (T value in Enum.GetValues<T>())
        {
            if (string.Equals(value.ToString(), text, StringComparison.OrdinalIgnoreCase))
                return value;
        }
        string names = string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));
        result.AddError($"{option} must be one of {names}, not '{text}'.");
        return default;
    }

    /// <summary>Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++)
            previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
