using System.Runtime.CompilerServices;
using LogStore.Tests.Records;
using LogStore.Tests.Reliability.Fuzzing;
using LogStore.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace LogStore.Tests.Reliability;

/// <summary>
/// Issue 5's hostile input: the RecordBatch decoder fed random, mutated and hand-made hostile batches must throw nothing
/// but <see cref="CorruptRecordException"/>, read exactly what a plain reference decoder reads whenever it accepts the
/// bytes (a CRC recomputed after damage included), and allocate about the decompression cap at most, whatever a batch
/// claims (<see cref="BatchOracle"/>). CI runs a few thousand generated cases and replays the corpus and Kafka's
/// vectors mutated; the soak tool runs millions (tests/RELIABILITY.md, "Hostile input").
/// </summary>
[TestFixture]
public sealed class RecordBatchFuzzTests
{
    /// <summary>Generated cases in CI: a few seconds on 2 cores.</summary>
    private const int CiCases = 4000;

    [Test]
    public void Fuzz_GeneratedBatches_OnlyCorruptRecordOrExactlyWhatTheReferenceReads()
    {
        FuzzFigures figures = BatchFuzzer.Run(CiCases, seed: 5005, threads: 2);

        TestContext.Out.WriteLine(figures.ToString());
        Assert.That(figures.Cases, Is.EqualTo(CiCases));
        foreach (FuzzOutcome outcome in Enum.GetValues<FuzzOutcome>())
            Assert.That(figures.Count(outcome), Is.GreaterThan(CiCases / 100), $"the cases rarely end in {outcome}: the generators lost their aim");
    }

    [Test]
    public void Corpus_EveryStoredInput_OnlyCorruptRecordOrExactlyWhatTheReferenceReads()
    {
        Assert.That(FuzzCorpus.Files, Is.Not.Empty, $"no corpus at {FuzzCorpus.Directory}");
        foreach ((string name, byte[] bytes, int cap) in FuzzCorpus.Files)
            BatchOracle.Check(new FuzzCase("corpus", name, bytes, cap));
    }

    [Test]
    public void Vectors_EveryTruncationAndBitFlipWithFixedCrc_OnlyCorruptRecordOrExactlyWhatTheReferenceReads()
    {
        if (FuzzCorpus.Vectors.Count == 0)
            Assert.Ignore($"Kafka's vectors are not at {FuzzCorpus.VectorDirectory}.");
        long cases = 0;
        foreach ((string name, byte[] original, int cap) in FuzzCorpus.Vectors)
        {
            Assert.That(BatchOracle.Check(new FuzzCase("vector", name, original, cap)), Is.EqualTo(FuzzOutcome.Decoded), name);

            // Every cut of the header and the first records (and of the whole of small vectors), made self-consistent.
            int cuts = original.Length <= 1024 ? original.Length : 256;
            for (int length = 0; length < cuts; length++, cases++)
            {
                byte[] cut = original[..length];
                BatchMutations.FixLengthAndCrc(cut);
                BatchOracle.Check(new FuzzCase("vector", $"{name} cut to {length}", cut, cap));
            }

            // Every bit of the header and the first record flipped, with the CRC recomputed.
            for (int bit = 0; bit < Math.Min(original.Length, 96) * 8; bit++, cases++)
            {
                byte[] flipped = original.ToArray();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                BatchMutations.FixCrc(flipped);
                BatchOracle.Check(new FuzzCase("vector", $"{name} bit {bit} flipped", flipped, cap));
            }

            // And a few hundred random damages, seeded by the vector's name.
            var random = new Random(StableHash(name));
            for (int i = 0; i < 200; i++, cases++)
            {
                (byte[] mutated, string how) = BatchMutations.Mutate(original.ToArray(), random);
                BatchOracle.Check(new FuzzCase("vector", $"{name}: {how}", mutated, cap));
            }
        }
        TestContext.Out.WriteLine($"{FuzzCorpus.Vectors.Count} vectors, {cases:N0} damaged copies checked");
    }

    /// <summary>Issue 18's hostile timestamps, through the append path: each batch is appended exactly when
    /// <see cref="HostileTimestamps"/> says it must be, and is otherwise refused with the typed error it names, leaving
    /// the log end where it was.</summary>
    [Test]
    public async Task Append_HostileTimestamps_RefusedWithTheTypedErrorOrReadBackAsWritten()
    {
        const int Cases = 600;
        const int Seed = 1818;
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(Batches.BaseTime));
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions { DataDirectory = dir.Path, TimeProvider = time });
        (long? Before, long? After)[] bounds = [(null, null), (null, 3_600_000), (86_400_000, 3_600_000), (0, 0)];
        var partitions = new Partition[bounds.Length];
        for (int i = 0; i < bounds.Length; i++)
        {
            partitions[i] = (await broker.CreateTopicAsync($"t{i}", new TopicConfig
            {
                MessageTimestampBeforeMax = bounds[i].Before is long b ? TimeSpan.FromMilliseconds(b) : null,
                MessageTimestampAfterMax = bounds[i].After is long a ? TimeSpan.FromMilliseconds(a) : null,
            })).Partitions[0];
        }

        var random = new Random(Seed);
        var counts = new Dictionary<TimestampOutcome, int>();
        for (int n = 0; n < Cases; n++)
        {
            time.Advance(TimeSpan.FromMilliseconds(random.Next(0, 5000)));
            int topic = random.Next(bounds.Length);
            long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
            byte[] bytes = HostileTimestamps.Batch(random, nowMs, bounds[topic].Before, bounds[topic].After, out TimestampOutcome expected, out string what);
            string context = $"seed {Seed}, case {n}: {what}";
            Partition p = partitions[topic];
            long end = p.LogEndOffset;
            TimestampOutcome outcome;
            try
            {
                await p.AppendAsync(RecordBatch.Parse(bytes));
                outcome = TimestampOutcome.Appended;
            }
            catch (InvalidTimestampException)
            {
                outcome = TimestampOutcome.InvalidTimestamp;
            }
            catch (CorruptRecordException)
            {
                outcome = TimestampOutcome.Corrupt;
            }

            Assert.That(outcome, Is.EqualTo(expected), context);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (outcome != TimestampOutcome.Appended)
            {
                Assert.That(p.LogEndOffset, Is.EqualTo(end), context);
                continue;
            }
            using FetchResult fetch = await p.ReadAsync(end, 1 << 20);
            foreach (RecordBatch stored in fetch)
            {
                Assert.That(stored.BaseOffset, Is.EqualTo(end), context);
                RecordBatch written = RecordBatch.Parse(bytes);
                using RecordEnumerator expectedRecords = written.GetEnumerator();
                foreach (Record record in stored)
                {
                    Assert.That(expectedRecords.MoveNext(), Is.True, context);
                    long timestamp = stored.TimestampType == TimestampType.LogAppendTime ? nowMs : expectedRecords.Current.Timestamp;
                    Assert.That(record.Timestamp, Is.EqualTo(timestamp), context);
                }
                break;
            }
        }
        TestContext.Out.WriteLine($"seed {Seed}: {Cases} batches: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        foreach (TimestampOutcome outcome in Enum.GetValues<TimestampOutcome>())
            Assert.That(counts.GetValueOrDefault(outcome), Is.GreaterThan(Cases / 20), $"the cases rarely end in {outcome}: the generator lost its aim");
    }

    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public void Decode_BombPastMaxMessageBytesCap_RefusedAfterAllocatingAboutTheCap(CompressionType codec)
    {
        // 8 MiB of zeros against a cap of max.message.bytes' default (1 MiB).
        const int Cap = 1 << 20;
        byte[] bytes = DecompressionBombs.Batch(DecompressionBombs.Zeros(codec), codec);
        RecordBatch batch = RecordBatch.Parse(bytes);

        long allocated = AllocatedByDecoding(batch, Cap, out Exception? thrown);

        Assert.That(thrown, Is.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
        Assert.That(allocated, Is.LessThanOrEqualTo(BatchOracle.AllocationLimit((int)codec, Cap)));
        TestContext.Out.WriteLine($"{codec}: {bytes.Length:N0}-byte batch, {allocated:N0} bytes allocated before the refusal");
    }

    [TestCase(CompressionType.Gzip)]
    [TestCase(CompressionType.Snappy)]
    [TestCase(CompressionType.Lz4)]
    [TestCase(CompressionType.Zstd)]
    public void Decode_BombPastTheDefaultCap_RefusedAfterAllocatingAboutTheCap(CompressionType codec)
    {
        // 80 MiB of zeros against the default cap of 64 MiB.
        byte[] bytes = DecompressionBombs.Batch(DecompressionBombs.Zeros(codec, 80 << 20), codec);
        RecordBatch batch = RecordBatch.Parse(bytes);

        long allocated = AllocatedByDecoding(batch, RecordBatch.DefaultMaxDecompressedBytes, out Exception? thrown);

        Assert.That(thrown, Is.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
        Assert.That(allocated, Is.LessThanOrEqualTo(BatchOracle.AllocationLimit((int)codec, RecordBatch.DefaultMaxDecompressedBytes)));
        TestContext.Out.WriteLine($"{codec}: {bytes.Length:N0}-byte batch, {allocated:N0} bytes allocated before the refusal");
    }

    [Test]
    public void Decode_SnappyBlockClaiming2GiB_RefusedBeforeAllocating()
    {
        RecordBatch batch = RecordBatch.Parse(DecompressionBombs.Batch(DecompressionBombs.SnappyClaim, CompressionType.Snappy));

        long allocated = AllocatedByDecoding(batch, RecordBatch.DefaultMaxDecompressedBytes, out Exception? thrown);

        Assert.That(thrown, Is.TypeOf<CorruptRecordException>());
        Assert.That(allocated, Is.LessThan(64 << 10));
    }

    [Test]
    public void Decode_ZstdFrameClaiming2Pow40Bytes_RefusedAtTheCap()
    {
        const int Cap = 1 << 20;
        RecordBatch batch = RecordBatch.Parse(DecompressionBombs.Batch(DecompressionBombs.ZstdClaim(blocks: 64), CompressionType.Zstd));

        long allocated = AllocatedByDecoding(batch, Cap, out Exception? thrown);

        Assert.That(thrown, Is.TypeOf<CorruptRecordException>().With.Message.Contains("limit"));
        Assert.That(allocated, Is.LessThanOrEqualTo(BatchOracle.AllocationLimit((int)CompressionType.Zstd, Cap)));
    }

    /// <summary>Rewrites the hand-made corpus files (run by hand after changing <see cref="HandMadeCorpus"/>); inputs
    /// found by the fuzzer are copied in from the temp directory the failure names.</summary>
    [Test]
    [Explicit("Writes tests/LogStore.Tests/Reliability/FuzzCorpus/ in the source tree")]
    public void FuzzCorpus_Regenerate() => HandMadeCorpus.Write(Path.Combine(SourceDirectory(), "FuzzCorpus"));

    /// <summary>The larger of the first decode (codec contexts created, pool buckets empty) and a second one.</summary>
    private static long AllocatedByDecoding(RecordBatch batch, int cap, out Exception? thrown)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        thrown = Decode(batch, cap);
        long first = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        Exception? again = Decode(batch, cap);
        long second = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(again?.GetType(), Is.EqualTo(thrown?.GetType()), "a second decode ended differently");
        TestContext.Out.WriteLine($"first decode allocated {first:N0} bytes, the second {second:N0}");
        return Math.Max(first, second);
    }

    private static Exception? Decode(RecordBatch batch, int cap)
    {
        try
        {
            using RecordEnumerator records = batch.GetEnumerator(cap);
            while (records.MoveNext())
            {
            }
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    private static int StableHash(string text)
    {
        int hash = 17;
        foreach (char c in text)
            hash = unchecked((hash * 31) + c);
        return hash;
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
