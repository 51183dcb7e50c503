using System.Buffers;
using LogStore.Storage.Files;

namespace LogStore.Storage;

internal sealed partial class FileRecords
{
    private const int CopyChunk = 1 << 20;

    /// <summary>
    /// Cuts the file at <paramref name="position"/>, first copying the bytes cut into a new file beside it
    /// (<see cref="LogFileNames.CutFile"/>), fsynced with its directory before the truncation, so that nothing cut is
    /// ever lost: the copy stays until the operator removes it. Recovery (past the recovery point) and
    /// <c>logstore repair</c> only.
    /// </summary>
    /// <returns>The path of the copy.</returns>
    /// <exception cref="StorageException">The copy could not be written (a full disk, an I/O error): the file is unchanged
    /// and no partial copy is left.</exception>
    public string CutTail(int position)
    {
        int size = SizeInBytes;
        string cut = LogFileNames.CutFile(FilePath, position);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(size - position, 1, CopyChunk));
        try
        {
            using (var copy = new FileStream(cut, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
            {
                for (long at = position; at < size;)
                {
                    int read = Read(at, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - at)), size);
                    if (read == 0)
                        break;
                    _files.Write(copy.SafeFileHandle, buffer.AsSpan(0, read), at - position, cut);
                    at += read;
                }
                _files.Flush(copy, cut);
            }
            _files.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(cut))!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDeleteCopy(cut);
            throw new StorageException($"Cannot keep the {size - position} bytes to cut at position {position} in '{Path.GetFileName(cut)}', " +
                $"so they stay in place: {e.Message}", FilePath, e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        TruncateTo(position);
        return cut;
    }

    private static void TryDeleteCopy(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A partial copy left behind is only a file the operator removes; the segment itself is unchanged.
        }
    }
}
