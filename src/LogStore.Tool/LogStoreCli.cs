using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using LogStore.Tool.Commands;

namespace LogStore.Tool;

/// <summary>
/// The <c>logstore</c> command line: Kafka's scripts (kafka-topics, kafka-console-producer and -consumer,
/// kafka-consumer-groups, kafka-dump-log) for a LogStore data directory. Every command reads and writes only the
/// readers and writers it is given, so an application or a test can run it in-process.
/// </summary>
/// <remarks>
/// Exit codes: 0 success, 1 failure (unknown topic, locked or damaged store, disk error), 2 usage error (unknown
/// command or option, malformed value), 3 a dump found damaged data, 130 interrupted. An error is one line on standard
/// error, <c>error: …</c>, never a stack trace.
/// </remarks>
public static class LogStoreCli
{
    /// <summary>
    /// Builds the root command, named <c>logstore</c> whatever the executable is called (System.CommandLine's
    /// <see cref="RootCommand"/> takes the entry assembly's name, LogStore.Tool), with <c>--help</c> and
    /// <c>--version</c>; its subcommands read <paramref name="stdin"/> and write <paramref name="stdout"/> and
    /// <paramref name="stderr"/>.
    /// </summary>
    /// <param name="stdin">Where <c>produce</c> reads its records, one per line.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where summaries, progress and errors go.</param>
    public static Command Create(TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var cli = new CliContext(stdin, stdout, stderr);
        var root = new Command("logstore", "Work on a LogStore data directory the way Kafka's scripts work on a broker.")
        {
            new HelpOption(),
            new VersionOption(),
            TopicsCommand.Create(cli),
            ProduceCommand.Create(cli),
            ConsumeCommand.Create(cli),
            DumpCommand.Create(cli),
            RepairCommand.Create(cli),
            GroupsCommand.Create(cli),
            BenchCommand.Create(cli),
            ServeCommand.Create(cli),
            MirrorCommand.Create(cli),
        };
        UsageErrors.Apply(root);
        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> and runs the command they name. A usage error or a failure is written to
    /// <paramref name="stderr"/> as one line and turned into the exit code; nothing is thrown.
    /// </summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="stdin">Where <c>produce</c> reads its records, one per line.</param>
    /// <param name="stdout">Where results go.</param>
    /// <param name="stderr">Where summaries, progress and errors go.</param>
    /// <param name="cancellationToken">Stops a running command (Ctrl+C); it ends cleanly and returns 130,
    /// or 0 for a <c>consume</c>, which Ctrl+C normally ends.</param>
    /// <returns>The exit code: 0 success, 1 failure, 2 usage error, 3 damaged data found by a dump, 130 interrupted.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        Command root = Create(stdin, stdout, stderr);
        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine would print every error and the whole help; one line says what is wrong and where to look.
            // An unrecognized word explains the errors that follow from it ("Required command was not provided").
            // A typo gets the option or command it was probably meant to be.
            string? unmatched = null;
            ParseError? first = null;
            foreach (ParseError error in parsed.Errors)
            {
                unmatched = parsed.UnmatchedTokens.FirstOrDefault(t => error.Message.Contains($"'{t}'", StringComparison.Ordinal));
                if (unmatched is not null)
                {
                    first = error;
                    break;
                }
            }
            string message = first is null
                ? parsed.Errors[0].Message
                : first.Message + UsageErrors.DidYouMean(parsed.CommandResult.Command, unmatched!);
            await WriteErrorAsync(stderr, $"{message} (see '{CommandPath(parsed)} --help')").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        var invocation = new InvocationConfiguration
        {
            Output = stdout,
            Error = stderr,
            // Errors are reported below as one line; Ctrl+C is the caller's token, not a console handler of ours.
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null,
        };
        try
        {
            return await parsed.InvokeAsync(invocation, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ErrorReport.TryDescribe(e, cancellationToken, out string message, out int exitCode))
        {
            await WriteErrorAsync(stderr, message).ConfigureAwait(false);
            // For bug reports: the whole exception, only when asked for.
            if (Environment.GetEnvironmentVariable("LOGSTORE_DEBUG") is "1" or "true")
                await stderr.WriteLineAsync(e.ToString()).ConfigureAwait(false);
            return exitCode;
        }
        finally
        {
            await FlushQuietlyAsync(stdout).ConfigureAwait(false);
        }
    }

    /// <summary>"logstore topics create" for the command the arguments reached.</summary>
    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (SymbolResult? result = parsed.CommandResult; result is CommandResult command; result = command.Parent)
            names.Add(command.Command.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Flushes what is left of the output; a reader that went away (a closed pipe) is not an error worth a trace.</summary>
    private static async Task FlushQuietlyAsync(TextWriter stdout)
    {
        try
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The command's own result was already decided and reported.
        }
    }

    private static async Task WriteErrorAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync("error: " + ErrorReport.OneLine(message)).ConfigureAwait(false);
        await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
