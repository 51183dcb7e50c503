using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tool.Dump;

/// <summary>
/// Decodes a <c>.log</c> segment batch by batch in kafka-dump-log's words: one line per batch header (offsets,
/// producer fields, position, timestamp, size, magic, codec, CRC and whether it matches), and with
/// <c>--print-data-log</c> one line per record. The file is only read, never repaired, so it can be dumped while a
/// Broker has it open.
/// </summary>
/// <remarks>
/// Damage is reported in place rather than thrown: a batch whose CRC does not match is printed with
/// <c>isvalid: false</c> and the walk goes on (its length is still trustworthy when its framing is); a malformed
/// header, a batch longer than the rest of the file (a torn write) or a partial header at the end stops the walk with a
/// "Found N invalid bytes" line, as Kafka's does.
/// </remarks>
internal static class LogFileDumper
{
    public static DumpReport Dump(string path, long? baseOffset, TextWriter output, bool printRecords)
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(file);
        if (baseOffset is long start)
            output.WriteLine(Invariant($"Log starting offset: {start}"));
        string? problem = null;
        byte[] header = new byte[RecordBatch.HeaderSize];
        long position = 0;
        var line = new StringBuilder(256);
        while (position < length)
        {
            long remaining = length - position;
            int probe = ReadAt(file, header.AsSpan(0, (int)Math.Min(remaining, header.Length)), position);
            if (!RecordBatch.TryReadSize(header.AsSpan(0, probe), out int size) || size > remaining)
            {
                problem = Invariant($"Found {remaining} invalid bytes at the end of {Path.GetFileName(path)}: {DescribeBadHeader(header.AsSpan(0, probe), position, remaining)}");
                output.WriteLine(problem);
                break;
            }
            byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
            try
            {
                ReadAt(file, buffer.AsSpan(0, size), position);
                RecordBatch batch;
                try
                {
                    batch = RecordBatch.Parse(buffer.AsMemory(0, size));
                }
                catch (CorruptRecordException e)
                {
                    problem = Invariant($"Found {remaining} invalid bytes at the end of {Path.GetFileName(path)}: the batch at position {position} is malformed: {e.Message}");
                    output.WriteLine(problem);
                    break;
                }
                output.WriteLine(BatchLine(line, batch, position));
                if (!batch.IsValid)
                {
                    problem ??= Invariant($"the batch at position {position} (baseOffset {batch.BaseOffset}) fails its CRC check: stored {batch.Crc}, computed {batch.ComputeCrc()}");
                }
                if (printRecords && WriteRecords(output, line, batch) is string recordProblem)
                    problem ??= Invariant($"the records of the batch at position {position} are malformed: {recordProblem}");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            position += size;
        }
        return new DumpReport(problem);
    }

    private static string DescribeBadHeader(ReadOnlySpan<byte> header, long position, long remaining)
    {
        if (header.Length < RecordBatch.LogOverhead + 5)
            return Invariant($"a partial batch header at position {position} (a torn write)");
        if (!header.ContainsAnyExcept((byte)0))
            return Invariant($"zeros from position {position} (space allocated but never written)");
        int batchLength = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (RecordBatch.TryReadSize(header, out int size))
            return Invariant($"the batch at position {position} says it is {size} bytes, but only {remaining} remain (a torn write)");
        return Invariant($"the batch header at position {position} is corrupt (batchLength {batchLength})");
    }

    /// <summary>kafka-dump-log's batch line.</summary>
    private static string BatchLine(StringBuilder line, RecordBatch batch, long position)
    {
        line.Clear();
        line.Append(CultureInfo.InvariantCulture,
            $"baseOffset: {batch.BaseOffset} lastOffset: {batch.LastOffset} count: {batch.RecordCount} ");
        line.Append(CultureInfo.InvariantCulture,
            $"baseSequence: {batch.BaseSequence} lastSequence: {Sequence(batch.BaseSequence, batch.LastOffsetDelta)} ");
        line.Append(CultureInfo.InvariantCulture,
            $"producerId: {batch.ProducerId} producerEpoch: {batch.ProducerEpoch} partitionLeaderEpoch: {batch.PartitionLeaderEpoch} ");
        line.Append(CultureInfo.InvariantCulture,
            $"isTransactional: {Bool(batch.IsTransactional)} isControl: {Bool(batch.IsControlBatch)} ");
        line.Append(batch.HasDeleteHorizon
            ? string.Create(CultureInfo.InvariantCulture, $"deleteHorizonMs: OptionalLong[{batch.BaseTimestamp}] ")
            : "deleteHorizonMs: OptionalLong.empty ");
        line.Append(CultureInfo.InvariantCulture,
            $"position: {position} {batch.TimestampType}: {batch.MaxTimestamp} size: {batch.SizeInBytes} magic: {batch.Magic} ");
        line.Append(CultureInfo.InvariantCulture,
            $"compresscodec: {batch.Compression.ToString().ToLowerInvariant()} crc: {batch.Crc} isvalid: {Bool(batch.IsValid)}");
        return line.ToString();
    }

    /// <summary>Writes kafka-dump-log's record lines; returns what was malformed, or null.</summary>
    private static string? WriteRecords(TextWriter output, StringBuilder line, RecordBatch batch)
    {
        try
        {
            foreach (Record record in batch)
            {
                line.Clear();
                line.Append(CultureInfo.InvariantCulture,
                    $"| offset: {record.Offset} {batch.TimestampType}: {record.Timestamp} ");
                line.Append(CultureInfo.InvariantCulture,
                    $"keySize: {(record.IsKeyNull ? -1 : record.Key.Length)} valueSize: {(record.IsValueNull ? -1 : record.Value.Length)} ");
                line.Append(CultureInfo.InvariantCulture,
                    $"sequence: {Sequence(batch.BaseSequence, record.OffsetDelta)} headerKeys: [");
                bool first = true;
                foreach (RecordHeader header in record.Headers)
                {
                    if (!first)
                        line.Append(',');
                    line.Append(header.GetKeyString());
                    first = false;
                }
                line.Append(']');
                if (!record.IsKeyNull)
                    AppendPrintable(line.Append(" key: "), record.Key);
                line.Append(" payload: ");
                if (record.IsValueNull)
                    line.Append("null");
                else
                    AppendPrintable(line, record.Value);
                output.WriteLine(line.ToString());
            }
            return null;
        }
        catch (CorruptRecordException e)
        {
            output.WriteLine($"| invalid records: {e.Message}");
            return e.Message;
        }
    }

    /// <summary>UTF-8 text with line breaks and tabs escaped, so each record stays on one line.</summary>
    private static void AppendPrintable(StringBuilder line, ReadOnlySpan<byte> bytes)
    {
        foreach (char c in Encoding.UTF8.GetString(bytes))
        {
            _ = c switch
            {
                '\n' => line.Append("\\n"),
                '\r' => line.Append("\\r"),
                '\t' => line.Append("\\t"),
                _ => line.Append(c),
            };
        }
    }

    /// <summary>Kafka's sequence arithmetic: -1 when there is none, wrapping past int.MaxValue to 0.</summary>
    private static long Sequence(int baseSequence, int delta)
    {
        if (baseSequence < 0)
            return -1;
        long sequence = (long)baseSequence + delta;
        return sequence > int.MaxValue ? sequence - int.MaxValue - 1 : sequence;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static int ReadAt(SafeFileHandle file, Span<byte> destination, long position)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = RandomAccess.Read(file, destination[total..], position + total);
            if (read == 0)
                break;
            total += read;
        }
        return total;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
