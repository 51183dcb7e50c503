using LogStore.Storage.Files;
using LogStore.Tests.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Reliability;

/// <summary>
/// The store's file operations, done on the real disk, plus a record of what each fsync made durable, so that a test
/// can build the directory a power loss at this moment could leave (<see cref="WriteImage"/>).
/// </summary>
/// <remarks>
/// <para>The model: a file's bytes are durable once an fsync of it has returned, counting only the bytes the file held
/// when that fsync began (an append racing the fsync is not covered by it). Of everything written since, a power loss
/// keeps nothing, or (torn) any prefix of it, with one 512-byte sector of that prefix possibly zeroed; a truncation not
/// yet fsynced may be undone. The shared mappings of the indexes are data of their files like any other.</para>
/// <para>Renames, creations and deletions count as durable at once, as a journaling file system orders them after the
/// data the store fsyncs first; the store's directory fsyncs are not checked here.</para>
/// </remarks>
internal sealed class PowerLossFileSystem : FileSystem
{
    private const int Sector = 512;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _durable = new(StringComparer.Ordinal);
    // The bytes of the last write at position 0 of each file: the whole content of the files the store opens
    // exclusively (those that replace another by a rename), which no other handle can read until they are closed.
    private readonly Dictionary<string, byte[]> _writtenFromStart = new(StringComparer.Ordinal);

    public override void Write(SafeFileHandle handle, ReadOnlySpan<byte> bytes, long position, string path)
    {
        Disk.Write(handle, bytes, position, path);
        if (position == 0)
        {
            lock (_gate)
                _writtenFromStart[Path.GetFullPath(path)] = bytes.ToArray();
        }
    }

    public override void Write(SafeFileHandle handle, IReadOnlyList<ReadOnlyMemory<byte>> buffers, long position, string path) =>
        Disk.Write(handle, buffers, position, path);

    public override void Flush(FileStream stream, string path)
    {
        SafeFileHandle handle = stream.SafeFileHandle;
        long length = RandomAccess.GetLength(handle);
        Disk.Flush(stream, path);
        string key = Path.GetFullPath(path);
        byte[] content;
        if (stream.CanRead)
        {
            content = ReadPrefix(handle, length);
        }
        else
        {
            try
            {
                using SafeFileHandle reader = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                content = ReadPrefix(reader, length);
            }
            catch (IOException)
            {
                // Opened exclusively (a file about to replace another by a rename): it was written whole.
                lock (_gate)
                    content = _writtenFromStart.TryGetValue(key, out byte[]? whole) && whole.Length == length
                        ? whole
                        : throw new InvalidOperationException($"{path} is locked and was not written whole from its start.");
            }
        }
        lock (_gate)
            _durable[key] = content;
    }

    private static byte[] ReadPrefix(SafeFileHandle handle, long length)
    {
        byte[] content = new byte[length];
        int read = 0;
        while (read < content.Length && RandomAccess.Read(handle, content.AsSpan(read), read) is int n and > 0)
            read += n;
        return read == content.Length ? content : content[..read];
    }

    public override void SetLength(FileStream stream, long length, string path) => Disk.SetLength(stream, length, path);

    public override void Preallocate(FileStream stream, long length, string path) => Disk.Preallocate(stream, length, path);

    public override void Move(string from, string to)
    {
        // The rename and its record together: an image never sees one without the other.
        lock (_gate)
        {
            Disk.Move(from, to);
            string target = Path.GetFullPath(to);
            if (_durable.Remove(Path.GetFullPath(from), out byte[]? content))
                _durable[target] = content;
            else
                _durable.Remove(target);
        }
    }

    public override void FsyncDirectory(string directory) => Disk.FsyncDirectory(directory);

    /// <summary>
    /// Writes into <paramref name="image"/> what a power loss now could leave of <paramref name="dataDirectory"/>: each
    /// file's durable bytes and, when <paramref name="torn"/>, a random part of what was appended after them (logs and
    /// indexes only: the small files the store replaces by renaming are whole, old or new). Fsyncs and renames that
    /// complete meanwhile (the store's background flush) wait, so the image is of one instant.
    /// </summary>
    public void WriteImage(string dataDirectory, TempDirectory image, Random random, bool torn)
    {
        lock (_gate)
            WriteImageLocked(dataDirectory, image, random, torn);
    }

    private void WriteImageLocked(string dataDirectory, TempDirectory image, Random random, bool torn)
    {
        foreach (string dir in Directory.EnumerateDirectories(dataDirectory, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(dataDirectory, image.Path, StringComparison.Ordinal));
        foreach (string file in Directory.EnumerateFiles(dataDirectory, "*", SearchOption.AllDirectories))
        {
            // A temporary file is being written exclusively (a checkpoint about to replace the old one by a rename);
            // whether a power loss leaves one or not, the loader ignores it.
            if (Path.GetFileName(file) == ".lock" || file.EndsWith(".tmp", StringComparison.Ordinal))
                continue;
            byte[] current;
            try
            {
                using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                current = new byte[source.Length];
                source.ReadExactly(current);
            }
            catch (FileNotFoundException)
            {
                continue; // deleted while the image was made (a temporary file, a segment retention removed)
            }
            byte[] durable = _durable.GetValueOrDefault(Path.GetFullPath(file)) ?? [];
            bool appendOnly = Path.GetExtension(file) is ".log" or ".index" or ".timeindex";
            File.WriteAllBytes(file.Replace(dataDirectory, image.Path, StringComparison.Ordinal), Survivor(durable, current, random, torn && appendOnly));
        }
    }

    private static byte[] Survivor(byte[] durable, byte[] current, Random random, bool torn)
    {
        if (!torn || current.Length <= durable.Length)
            return durable;
        int kept = random.Next(current.Length - durable.Length + 1);
        byte[] bytes = [.. durable, .. current.AsSpan(durable.Length, kept)];
        if (kept > 0 && random.Next(3) == 0)
        {
            int sector = durable.Length + random.Next(kept);
            bytes.AsSpan(sector, Math.Min(Sector, bytes.Length - sector)).Clear();
        }
        return bytes;
    }
}
