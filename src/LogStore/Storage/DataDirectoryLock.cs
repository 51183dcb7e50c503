using LogStore.Storage.Files;

namespace LogStore.Storage;

/// <summary>
/// An exclusive lock on a data directory, held for a Broker's lifetime through an open <c>.lock</c> file.
/// On Unix .NET takes an advisory <c>flock</c> for <see cref="FileShare.None"/>, which also conflicts between two
/// opens in the same process; on Windows the share mode itself excludes. The lock dies with the process, so a
/// SIGKILL never leaves a directory locked.
/// </summary>
internal sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream _stream;

    private DataDirectoryLock(FileStream stream) => _stream = stream;

    public static DataDirectoryLock Acquire(string dataDirectory)
    {
        string path = Path.Combine(dataDirectory, LogFileNames.LockFile);
        try
        {
            return new DataDirectoryLock(StoreFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new StoreLockedException(dataDirectory, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new StorageException($"Cannot create the lock file of data directory '{dataDirectory}': access denied.", path, e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
