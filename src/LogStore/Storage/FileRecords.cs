using Microsoft.Win32.SafeHandles;

namespace LogStore.Storage;

/// <summary>
/// A segment's <c>.log</c> file: whole RecordBatch v2 batches back to back, appended with positional writes and
/// read with positional reads (the OS page cache is the only cache). Bytes are never rewritten in place; the only
/// change to written data is truncation during recovery.
/// Thread-safety: one appender (the partition's writer); any number of concurrent readers, which see at most
/// <see cref="SizeInBytes"/>, published only after the bytes are written.
/// After a crash: anything past the last fsync may be torn or missing; <see cref="LogSegment.Recover"/> finds the end.
/// </summary>
internal sealed class FileRecords : IDisposable
{
    private FileStream _stream;
    private int _size;
    private bool _disposed;

    private FileRecords(string path, FileStream stream, int size)
    {
        FilePath = path;
        _stream = stream;
        _size = size;
    }

    public string FilePath { get; private set; }

    /// <summary>Bytes of complete batches; readers never look past it.</summary>
    public int SizeInBytes => Volatile.Read(ref _size);

    public SafeFileHandle Handle => _stream.SafeFileHandle;

    public static FileRecords Open(string path, bool create)
    {
        try
        {
            var stream = new FileStream(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite,
                FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.None);
            long length = stream.Length;
            if (length > int.MaxValue)
            {
                stream.Dispose();
                throw new StorageException($"Segment file is {length} bytes, larger than a segment may be (2 GiB).", path);
            }
            return new FileRecords(path, stream, (int)length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot open segment file: {e.Message}", path, e);
        }
    }

    /// <summary>Writes <paramref name="batch"/> at the end; returns the position it starts at.</summary>
    public int Append(ReadOnlySpan<byte> batch)
    {
        int position = _size;
        try
        {
            RandomAccess.Write(Handle, batch, position);
        }
        catch (IOException e)
        {
            throw new StorageException($"Cannot append {batch.Length} bytes at position {position}: {e.Message}", FilePath, e);
        }
        Volatile.Write(ref _size, position + batch.Length);
        return position;
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="position"/>, never past <paramref name="limit"/>.</summary>
    public int Read(long position, Span<byte> destination, int limit)
    {
        int wanted = (int)Math.Min(destination.Length, Math.Max(0, limit - position));
        int total = 0;
        while (total < wanted)
        {
            int n;
            try
            {
                n = RandomAccess.Read(Handle, destination.Slice(total, wanted - total), position + total);
            }
            catch (IOException e)
            {
                throw new StorageException($"Cannot read at position {position + total}: {e.Message}", FilePath, e);
            }
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    /// <summary>fsync: everything appended so far survives a power loss once this returns.</summary>
    public void Flush()
    {
        try
        {
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new StorageException($"fsync failed: {e.Message}", FilePath, e);
        }
    }

    /// <summary>Cuts the file at <paramref name="size"/> (recovery and replication truncation only).</summary>
    public void TruncateTo(int size)
    {
        try
        {
            _stream.SetLength(size);
        }
        catch (IOException e)
        {
            throw new StorageException($"Cannot truncate to {size} bytes: {e.Message}", FilePath, e);
        }
        Volatile.Write(ref _size, size);
    }

    /// <summary>Renames the file; the handle stays open on Unix, and is reopened after the move elsewhere.</summary>
    public void RenameTo(string newPath)
    {
        if (OperatingSystem.IsWindows())
        {
            _stream.Dispose();
            File.Move(FilePath, newPath);
            _stream = new FileStream(newPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 0);
        }
        else
        {
            File.Move(FilePath, newPath);
        }
        FilePath = newPath;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stream.Dispose();
    }
}
