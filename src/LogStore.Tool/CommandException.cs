namespace LogStore.Tool;

/// <summary>
/// A failure the tool itself detects (unknown topic, missing data directory, bad --config value), with the exit code
/// it ends with. Its message is printed as is after "error: ", so it is one line in the user's vocabulary.
/// </summary>
internal sealed class CommandException : Exception
{
    public CommandException(string message, int exitCode = ExitCodes.Failure)
        : base(message) => ExitCode = exitCode;

    public CommandException(string message, Exception innerException, int exitCode = ExitCodes.Failure)
        : base(message, innerException) => ExitCode = exitCode;

    public int ExitCode { get; }

    /// <summary>A malformed value on the command line: exit code <see cref="ExitCodes.Usage"/>.</summary>
    public static CommandException Usage(string message) => new(message, ExitCodes.Usage);
}
