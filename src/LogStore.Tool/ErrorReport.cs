namespace LogStore.Tool;

/// <summary>
/// Turns an exception that ends a command into the one line printed after "error: " and the exit code. Every
/// exception is described, so the user never sees a stack trace; the library's own messages already say what
/// failed and where.
/// </summary>
internal static class ErrorReport
{
    /// <summary>Describes <paramref name="exception"/>; always true (a filter, so the stack is not unwound first).</summary>
    public static bool TryDescribe(Exception exception, CancellationToken cancellationToken, out string message, out int exitCode)
    {
        (message, exitCode) = exception switch
        {
            CommandException e => (e.Message, e.ExitCode),
            OperationCanceledException when cancellationToken.IsCancellationRequested => ("interrupted", ExitCodes.Interrupted),
            UnknownTopicException { Partition: int p } e => ($"unknown partition {p} of topic '{e.Topic}'", ExitCodes.Failure),
            UnknownTopicException e => ($"unknown topic '{e.Topic}'", ExitCodes.Failure),
            TopicExistsException e => ($"topic '{e.Topic}' already exists", ExitCodes.Failure),
            InvalidTopicException e => (e.Message, ExitCodes.Usage),
            InvalidConfigurationException e => (OneLine(e.Message), ExitCodes.Usage),
            InvalidPartitionsException e => (e.Message, ExitCodes.Usage),
            LogStoreException e => (e.Message, ExitCodes.Failure),
            IOException or UnauthorizedAccessException => (exception.Message, ExitCodes.Failure),
            ArgumentException e => (e.Message, ExitCodes.Usage),
            _ => ($"unexpected {exception.GetType().Name}: {exception.Message}", ExitCodes.Failure),
        };
        return true;
    }

    /// <summary>Folds a multi-line message (ArgumentException appends "Actual value was …" on a line of its own) into one.</summary>
    public static string OneLine(string message) =>
        string.Join("; ", message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
