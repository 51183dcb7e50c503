using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

// What the storage engine logs about entries of the data directory it will not follow or use (see
// Files.StoreFile): symbolic links and special files under the names of the store's files.
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1250, Level = LogLevel.Error, Message = "{Entry} is a symbolic link or not a regular file: LogStore never follows it out of the data directory, so it does not open this part of the store; neither the entry nor what it names was changed")]
    public static partial void LinkRefused(ILogger logger, string entry);

    [LoggerMessage(EventId = 1251, Level = LogLevel.Warning, Message = "{Entry} is a symbolic link where LogStore would only remove a leftover or has no file: it is left in place for the operator, and what it names is not touched")]
    public static partial void LinkLeftInPlace(ILogger logger, string entry);
}
