using System.Numerics;
using System.Security.Cryptography;
using LogStore.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>One input for the decoder: its bytes, the decompression cap to decode with, and how it was made.</summary>
internal sealed record FuzzCase(string Family, string What, byte[] Bytes, int Cap)
{
    public override string ToString() =>
        $"{Family} ({What}), {Bytes.Length} bytes, cap {Cap}: {Convert.ToHexString(Bytes.AsSpan(0, Math.Min(Bytes.Length, 160)))}{(Bytes.Length > 160 ? "…" : "")}";
}

/// <summary>How the library treated one input.</summary>
internal enum FuzzOutcome
{
    /// <summary>Decoded, and the reference decoder read the same records.</summary>
    Decoded,

    /// <summary>Refused by <see cref="RecordBatch.Parse"/>: not a well-framed batch.</summary>
    RefusedFraming,

    /// <summary>Refused while decompressing: a damaged block, or one inflating past the cap.</summary>
    RefusedCompression,

    /// <summary>Refused while reading records.</summary>
    RefusedRecords,
}

/// <summary>A broken property, with the input that broke it (also saved under the temp directory for the corpus).</summary>
internal sealed class FuzzFailure(string message) : Exception(message);

/// <summary>
/// The property every input must satisfy: <see cref="RecordBatch.Parse"/>, every accessor of a parsed batch, CRC checks,
/// and both ways of reading records (the enumerator behind <c>foreach</c>, and <see cref="RecordBatch.DecompressRecords"/>
/// with a <see cref="RecordCursor"/>, which consumers use) either succeed or throw <see cref="CorruptRecordException"/>
/// — no other exception; they agree with each other and with <see cref="ReferenceBatchDecoder"/> on whether the bytes
/// are a batch and on every field of every record (so a CRC that still matches after damage yields exactly what the
/// bytes say, never misread data); and decoding allocates no more than <see cref="AllocationLimit"/>, whatever the
/// batch claims. Thread-safe.
/// </summary>
internal static class BatchOracle
{
    [ThreadStatic]
    private static bool t_warm;

    /// <summary>The most a decode may allocate with decompression cap <paramref name="cap"/>, whatever the batch claims:
    /// the pooled output buffer doubles up to the cap and never past it, so pool misses cost at most twice the cap
    /// rounded up to the pool's power-of-two bucket; an LZ4 frame also decodes through its own block buffer (up to
    /// 4 MiB, twice for linked blocks). Uncompressed batches are read in place: only an exception allocates.</summary>
    public static long AllocationLimit(int codec, int cap) => codec switch
    {
        0 => 64 << 10,
        3 => (2L * (long)BitOperations.RoundUpToPowerOf2((uint)cap)) + (8 << 20) + (256 << 10),
        _ => (2L * (long)BitOperations.RoundUpToPowerOf2((uint)cap)) + (256 << 10),
    };

    /// <summary>Checks <paramref name="input"/>; throws <see cref="FuzzFailure"/> when a property breaks.</summary>
    public static FuzzOutcome Check(FuzzCase input) => Check(input, out _);

    /// <summary>Checks <paramref name="input"/> and reports the bytes its main decode allocated.</summary>
    public static FuzzOutcome Check(FuzzCase input, out long allocated)
    {
        WarmUp();
        allocated = 0;
        byte[] bytes = input.Bytes;
        Result reference = RunReference(bytes, input.Cap);

        if (!RecordBatch.TryReadSize(bytes, out int probed) && bytes.Length >= RecordBatch.SizeProbeLength && reference.Batch is not null)
            Fail(input, "TryReadSize refused the size of a batch that decodes");

        RecordBatch batch;
        try
        {
            batch = RecordBatch.Parse(bytes);
        }
        catch (Exception e) when (e is not FuzzFailure)
        {
            ExpectCorrupt(input, e, "Parse");
            if (reference.Batch is not null)
                Fail(input, $"Parse refused bytes the reference decodes: {e.Message}");
            return FuzzOutcome.RefusedFraming;
        }
        if (probed != bytes.Length)
            Fail(input, $"TryReadSize says {probed} bytes for a batch Parse accepted at {bytes.Length}");
        TouchHeader(input, batch);

        // The main path, measured: decode every record and header without keeping anything.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exception? enumerated = Touch(batch, input.Cap);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        int codec = (int)batch.Compression;
        if (allocated > AllocationLimit(codec, input.Cap))
            Fail(input, $"decoding allocated {allocated:N0} bytes, more than the limit of {AllocationLimit(codec, input.Cap):N0} for cap {input.Cap:N0}");
        if (enumerated is not null)
            ExpectCorrupt(input, enumerated, "enumeration");

        Result viaEnumerator = Collect(input, batch, viaCursor: false);
        Result viaCursor = Collect(input, batch, viaCursor: true);
        if ((enumerated is null) != (viaEnumerator.Batch is not null))
            Fail(input, "two enumerations of the same batch disagree");
        if ((viaEnumerator.Batch is null) != (viaCursor.Batch is null))
            Fail(input, $"the enumerator and the cursor disagree: {viaEnumerator.Error ?? "decoded"} against {viaCursor.Error ?? "decoded"}");
        if (viaEnumerator.Batch is not null && viaEnumerator.Batch.Difference(viaCursor.Batch!) is string cursorDifference)
            Fail(input, $"the enumerator and the cursor read different records: {cursorDifference}");

        if ((viaEnumerator.Batch is null) != (reference.Batch is null))
            Fail(input, viaEnumerator.Batch is null
                ? $"the library refused bytes the reference decodes: {viaEnumerator.Error}"
                : $"the library decoded bytes the reference refuses ({reference.Error})");
        if (viaEnumerator.Batch is not null)
        {
            if (viaEnumerator.Batch.Difference(reference.Batch!) is string difference)
                Fail(input, $"the library and the reference read different records: {difference}");
            return FuzzOutcome.Decoded;
        }
        return viaEnumerator.InCompression ? FuzzOutcome.RefusedCompression : FuzzOutcome.RefusedRecords;
    }

    private static Result RunReference(byte[] bytes, int cap)
    {
        try
        {
            return new Result(ReferenceBatchDecoder.Decode(bytes, cap), null, false);
        }
        catch (ReferenceBatchDecoder.Rejected e)
        {
            return new Result(null, e.Message, false);
        }
        catch (CorruptRecordException e)
        {
            return new Result(null, e.Message, true);
        }
    }

    /// <summary>Every accessor of a parsed batch answers, and the CRC check throws only CorruptRecordException.</summary>
    private static void TouchHeader(FuzzCase input, RecordBatch batch)
    {
        try
        {
            _ = (batch.BaseOffset, batch.BatchLength, batch.SizeInBytes, batch.PartitionLeaderEpoch, batch.Magic, batch.Crc,
                batch.Attributes, batch.Compression, batch.TimestampType, batch.IsTransactional, batch.IsControlBatch,
                batch.HasDeleteHorizon, batch.LastOffsetDelta, batch.LastOffset, batch.NextOffset, batch.BaseTimestamp,
                batch.MaxTimestamp, batch.ProducerId, batch.ProducerEpoch, batch.BaseSequence, batch.RecordCount, batch.ToString());
            if (batch.IsValid)
                batch.EnsureValid();
            else
                Expect(input, () => batch.EnsureValid(), "EnsureValid of a batch whose CRC does not match");
        }
        catch (Exception e) when (e is not FuzzFailure)
        {
            Fail(input, $"a header accessor threw {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Reads every record and header, keeping nothing; returns the exception that stopped it, if any.</summary>
    private static Exception? Touch(RecordBatch batch, int cap)
    {
        try
        {
            long sum = 0;
            using RecordEnumerator records = batch.GetEnumerator(cap);
            while (records.MoveNext())
            {
                Record record = records.Current;
                sum += record.Offset + record.Timestamp + record.Key.Length + record.Value.Length + record.SizeInBytes;
                foreach (RecordHeader header in record.Headers)
                    sum += header.Key.Length + header.Value.Length;
            }
            GC.KeepAlive(sum);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static Result Collect(FuzzCase input, RecordBatch batch, bool viaCursor)
    {
        var records = new List<DecodedRecord>();
        bool inCompression = true;
        try
        {
            if (viaCursor)
            {
                using DecompressedRecords region = batch.DecompressRecords(input.Cap);
                inCompression = false;
                RecordCursor cursor = region.CreateCursor();
                while (cursor.MoveNext(region.Data.Span, out Record record))
                    records.Add(Copy(record));
            }
            else
            {
                using RecordEnumerator enumerator = batch.GetEnumerator(input.Cap);
                inCompression = false;
                while (enumerator.MoveNext())
                    records.Add(Copy(enumerator.Current));
            }
            return new Result(new DecodedBatch(records), null, false);
        }
        catch (Exception e) when (e is not FuzzFailure)
        {
            ExpectCorrupt(input, e, viaCursor ? "the cursor" : "the enumerator");
            return new Result(null, e.Message, inCompression);
        }
    }

    private static DecodedRecord Copy(Record record)
    {
        var headers = new List<(string, byte[]?)>();
        foreach (RecordHeader header in record.Headers)
            headers.Add((header.GetKeyString(), header.IsValueNull ? null : header.Value.ToArray()));
        return new DecodedRecord(record.Offset, record.Timestamp, record.KeyToArray(), record.ValueToArray(), headers);
    }

    private static void Expect(FuzzCase input, Action action, string what)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            ExpectCorrupt(input, e, what);
            return;
        }
        Fail(input, what + " did not throw");
    }

    private static void ExpectCorrupt(FuzzCase input, Exception e, string where)
    {
        if (e is not CorruptRecordException)
            Fail(input, $"{where} threw {e.GetType().FullName}, not CorruptRecordException: {e}");
    }

    /// <summary>Touches every codec and an exception once per thread, so first-use costs (thread-static contexts,
    /// type loading) do not count as the allocation of the first case.</summary>
    private static void WarmUp()
    {
        if (t_warm)
            return;
        t_warm = true;
        for (int codec = 0; codec <= 4; codec++)
        {
            using var builder = new RecordBatchBuilder((CompressionType)codec);
            builder.Append(1, [1], [2], [new Header("h", [3])]);
            RecordBatch batch = RecordBatch.Parse(builder.Build().Span.ToArray());
            _ = Touch(batch, 1 << 20);
            _ = Touch(RecordBatch.Parse(DecompressionBombs.Batch(DecompressionBombs.Zeros((CompressionType)Math.Max(codec, 1)), (CompressionType)Math.Max(codec, 1))), 64 << 10);
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Fail(FuzzCase input, string property)
    {
        string saved = Save(input);
        throw new FuzzFailure($"{property}\n  input: {input}\n  saved to {saved} (copy it into tests/LogStore.Tests/Reliability/FuzzCorpus/ to replay it on every run)");
    }

    private static string Save(FuzzCase input)
    {
        try
        {
            string directory = Path.Combine(Path.GetTempPath(), "logstore-fuzz-failures");
            Directory.CreateDirectory(directory);
            string name = $"{input.Family}-{Convert.ToHexString(SHA256.HashData(input.Bytes))[..16].ToLowerInvariant()}-cap{input.Cap}.bin";
            string path = Path.Combine(directory, name);
            File.WriteAllBytes(path, input.Bytes);
            return path;
        }
        catch (IOException e)
        {
            return $"(not saved: {e.Message})";
        }
    }

    private sealed record Result(DecodedBatch? Batch, string? Error, bool InCompression);
}
