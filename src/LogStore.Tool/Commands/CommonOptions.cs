using System.CommandLine;
using System.CommandLine.Parsing;

namespace LogStore.Tool.Commands;

/// <summary>The options several commands share, with Kafka's script names. A new instance per command, so each
/// command's help lists its own.</summary>
internal static class CommonOptions
{
    public static Option<string> Data() => new("--data", "-d")
    {
        Description = "The LogStore data directory (Kafka's log.dirs).",
        HelpName = "DIR",
        Required = true,
    };

    public static Option<string> Topic(bool required = true, string description = "The topic.") => new("--topic", "-t")
    {
        Description = description,
        HelpName = "TOPIC",
        Required = required,
    };

    public static Option<int?> Partition(string description) => NonNegative(new Option<int?>("--partition", "-p")
    {
        Description = description,
        HelpName = "N",
    });

    /// <summary>Adds a validator refusing a negative value.</summary>
    public static Option<T> NonNegative<T>(Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && long.TryParse(result.Tokens[0].Value, out long value) && value < 0)
                result.AddError($"{option.Name} must be 0 or more, not {value}.");
        });
        return option;
    }

    /// <summary>Adds a validator refusing a value below 1.</summary>
    public static Option<T> Positive<T>(Option<T> option)
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && long.TryParse(result.Tokens[0].Value, out long value) && value < 1)
                result.AddError($"{option.Name} must be 1 or more, not {value}.");
        });
        return option;
    }

    /// <summary>Adds a validator allowing at most one of <paramref name="options"/>.</summary>
    public static void AtMostOne(Command command, params Option[] options)
    {
        command.Validators.Add(result =>
        {
            var given = options.Where(o => result.GetResult(o) is OptionResult { Implicit: false }).Select(o => o.Name).ToList();
            if (given.Count > 1)
                result.AddError($"{string.Join(" and ", given)} cannot be combined: give at most one of {string.Join(", ", options.Select(o => o.Name))}.");
        });
    }
}
