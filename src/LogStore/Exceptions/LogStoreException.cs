namespace LogStore;

/// <summary>The base of every error LogStore raises on purpose; catch it to handle all of them.</summary>
public class LogStoreException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public LogStoreException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public LogStoreException(string message, Exception? innerException) : base(message, innerException) { }
}
