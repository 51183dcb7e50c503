namespace LogStore.Tool;

/// <summary>The tool's exit codes, distinct so that scripts can tell a typo from a failure.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Success = 0;

    /// <summary>The command was well formed but failed: unknown topic, locked or damaged store, disk error.</summary>
    public const int Failure = 1;

    /// <summary>The command line itself is wrong: unknown command or option, missing or malformed value (sysexits' EX_USAGE is 64; 2 is what getopt-style tools use).</summary>
    public const int Usage = 2;

    /// <summary>A dump found damaged data (a CRC mismatch, a malformed batch, a torn tail); what it could read was printed.</summary>
    public const int DamagedData = 3;

    /// <summary>Interrupted (Ctrl+C), as a shell reports SIGINT: 128 + 2.</summary>
    public const int Interrupted = 130;
}
