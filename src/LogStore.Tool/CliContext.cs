using Spectre.Console;

namespace LogStore.Tool;

/// <summary>
/// The streams a command reads and writes: the process's console in production, string readers and writers in
/// tests, so every command runs in-process against whatever the caller passes. Not thread-safe (one command at a time).
/// </summary>
internal sealed class CliContext(TextReader input, TextWriter output, TextWriter error)
{
    /// <summary>Standard input: the records of <c>produce</c>.</summary>
    public TextReader In { get; } = input;

    /// <summary>Standard output: the command's result, meant for pipes.</summary>
    public TextWriter Out { get; } = output;

    /// <summary>Standard error: summaries, progress and errors, kept out of the piped result.</summary>
    public TextWriter Error { get; } = error;

    /// <summary>
    /// A Spectre console over <paramref name="writer"/>: colours and live redraws only when it is the process's own
    /// console on a terminal; plain text for a redirected stream or a test's writer, so files and pipes get no escape codes.
    /// </summary>
    public static IAnsiConsole ConsoleFor(TextWriter writer)
    {
        bool terminal = (ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected)
            || (ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected);
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
    }
}
