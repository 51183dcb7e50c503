using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Compare.Workloads;

/// <summary>
/// The floors of LogStore's random read on its own <c>.log</c> files, no index: every batch holds the same records, so
/// the batch holding an offset is found by arithmetic. <see cref="Pread"/> copies the batch out of the page cache (what
/// the read path does today, without its CRC); <see cref="Mapped"/> reads it in place through a mapping of the segment
/// and checks its CRC (what a read path over mapped rolled segments would pay at least).
/// </summary>
internal sealed class SegmentFloors : IDisposable
{
    private readonly (long BaseOffset, string Path)[] _segments;
    private readonly int _recordsPerBatch;
    private readonly int _batchBytes;
    private readonly List<IDisposable> _disposables = [];

    public SegmentFloors(string partitionDirectory, int recordsPerBatch)
    {
        _segments = [.. Directory.GetFiles(partitionDirectory, "*.log")
            .Select(path => (long.Parse(Path.GetFileNameWithoutExtension(path), CultureInfo.InvariantCulture), path))
            .OrderBy(segment => segment.Item1)];
        _recordsPerBatch = recordsPerBatch;
        // Every batch has the first one's size on disk: its batchLength field (big-endian, after the 8-byte base
        // offset) plus the 12 bytes before that field's end.
        Span<byte> header = stackalloc byte[12];
        using (SafeFileHandle first = File.OpenHandle(_segments[0].Path))
            RandomAccess.Read(first, header, 0);
        _batchBytes = 12 + BinaryPrimitives.ReadInt32BigEndian(header[8..]);
    }

    public int BatchBytes => _batchBytes;

    /// <summary>A reader by pread into one reused buffer; true when the batch read back starts at the offset the
    /// arithmetic expects.</summary>
    public Func<long, bool> Pread()
    {
        SafeFileHandle[] handles = [.. _segments.Select(s => File.OpenHandle(s.Path))];
        _disposables.AddRange(handles);
        var block = new byte[_batchBytes];
        return offset =>
        {
            (int segment, long position, long baseOffset) = Locate(offset);
            // The last batch of the log may hold fewer records: a shorter read.
            int read = RandomAccess.Read(handles[segment], block, position);
            return read > 8 && BinaryPrimitives.ReadInt64BigEndian(block) == baseOffset;
        };
    }

    /// <summary>A reader through a read-only mapping of each segment, the batch's CRC checked in place; true when the
    /// CRC matches and the batch starts at the offset the arithmetic expects.</summary>
    public Func<long, bool> Mapped()
    {
        var views = new MappedSegment[_segments.Length];
        for (int i = 0; i < views.Length; i++)
        {
            views[i] = new MappedSegment(_segments[i].Path);
            _disposables.Add(views[i]);
        }
        return offset =>
        {
            (int segment, long position, long baseOffset) = Locate(offset);
            MappedSegment view = views[segment];
            int length = (int)Math.Min(_batchBytes, view.Length - position);
            RecordBatch batch = RecordBatch.Parse(view.Memory.Slice((int)position, length));
            return batch.IsValid && batch.BaseOffset == baseOffset;
        };
    }

    /// <summary>The batch of an offset: its segment, its position there, and the base offset it must have.</summary>
    private (int Segment, long Position, long BaseOffset) Locate(long offset)
    {
        int segment = _segments.Length - 1;
        while (_segments[segment].BaseOffset > offset)
            segment--;
        long batchIndex = (offset - _segments[segment].BaseOffset) / _recordsPerBatch;
        return (segment, batchIndex * _batchBytes, _segments[segment].BaseOffset + batchIndex * _recordsPerBatch);
    }

    public void Dispose()
    {
        foreach (IDisposable disposable in _disposables)
            disposable.Dispose();
    }

    /// <summary>A whole segment mapped read-only, lent as <see cref="Memory{T}"/> (a segment is under 2 GiB).</summary>
    private sealed unsafe class MappedSegment : MemoryManager<byte>
    {
        private readonly MemoryMappedFile _file;
        private readonly MemoryMappedViewAccessor _view;
        private readonly byte* _pointer;

        public MappedSegment(string path)
        {
            Length = (int)new FileInfo(path).Length;
            _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _pointer = pointer + _view.PointerOffset;
        }

        public int Length { get; }

        public override Span<byte> GetSpan() => new(_pointer, Length);

        public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
