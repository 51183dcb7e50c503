using System.Diagnostics;
using CsCheck;
using LogStore.Tests.Records;

namespace LogStore.Tests.Reliability.Fuzzing;

/// <summary>
/// Issue 5's hostile-input fuzzer for the RecordBatch decoder: CsCheck generates inputs from eight families and
/// <see cref="BatchOracle"/> checks each one. Used with a few thousand cases by <see cref="RecordBatchFuzzTests"/>
/// (seconds, in CI) and with millions by the soak tool (tests/LogStore.Soak). A failure is reported with the seed,
/// stream and case number that reproduce it and with the input, which the oracle also saves for the corpus.
/// </summary>
/// <remarks>
/// Families: <c>random</c> bytes; <c>framed</c> random records regions in a well-framed, CRC-valid batch (sometimes
/// compressed, so the codec accepts the garbage); <c>valid</c> batches from <see cref="RecordBatchBuilder"/> (every
/// codec, keys, null keys and values, headers, LogAppendTime); <c>mutated</c> valid batches (see
/// <see cref="BatchMutations"/>); <c>hostile</c> records whose fields lie (<see cref="HostileRecords"/>), some also
/// mutated; <c>bomb</c> decompression bombs (<see cref="DecompressionBombs"/>) under caps from 4 KiB to 1 MiB;
/// <c>vector</c> and <c>corpus</c> inputs (Kafka's vectors in tests/testdata, the files in FuzzCorpus/) mutated.
/// </remarks>
internal static class BatchFuzzer
{
    /// <summary>Decompression caps the cases use: from tiny to max.message.bytes' default.</summary>
    private static readonly int[] s_caps = [4 << 10, 64 << 10, 256 << 10, 1 << 20];

    /// <summary>1 to 12 records (the records tests' generator, fewer of them: mutation finds more in many small batches).</summary>
    private static readonly Gen<RecordModel[]> s_records =
        Gen.Long[0, 2_000_000_000_000].SelectMany(baseTimestamp => RecordGenerators.Record(baseTimestamp).Array[1, 12]);

    /// <summary>Every input to fuzz.</summary>
    public static Gen<FuzzCase> Cases { get; } = Gen.Frequency(
        (2, Seeded("random", (random, cap) => Random(random, cap))),
        (2, Seeded("framed", Framed)),
        (1, Gen.Select(s_records, RecordGenerators.Codec, Gen.Int, Gen.Int[0, s_caps.Length - 1])
            .Select((records, codec, seed, cap) => Valid(records, codec, seed, s_caps[cap], mutate: false))),
        (4, Gen.Select(s_records, RecordGenerators.Codec, Gen.Int, Gen.Int[0, s_caps.Length - 1])
            .Select((records, codec, seed, cap) => Valid(records, codec, seed, s_caps[cap], mutate: true))),
        (4, Seeded("hostile", Hostile)),
        (1, Seeded("bomb", Bomb)),
        (2, Seeded("vector", (random, cap) => Mutated(FuzzCorpus.Vectors, "vector", random, cap))),
        (2, Seeded("corpus", (random, cap) => Mutated(FuzzCorpus.Files, "corpus", random, cap))));

    /// <summary>
    /// Checks <paramref name="iterations"/> generated cases (or as many as fit in <paramref name="time"/>, when given)
    /// on <paramref name="threads"/> threads and returns what happened. Deterministic: thread t draws its cases from
    /// CsCheck's PCG stream t + 1 seeded with <paramref name="seed"/>, so a failure names the seed, stream and case
    /// number that reproduce it. Throws <see cref="FuzzFailure"/> on the first broken property.
    /// </summary>
    public static FuzzFigures Run(long iterations, ulong seed, TimeSpan? time = null, int threads = 1, CancellationToken cancellationToken = default)
    {
        var figures = new FuzzFigures();
        var clock = Stopwatch.StartNew();
        var workers = new Task[Math.Max(1, threads)];
        for (int t = 0; t < workers.Length; t++)
        {
            uint stream = (uint)t + 1;
            long share = iterations / workers.Length + (t < iterations % workers.Length ? 1 : 0);
            workers[t] = Task.Factory.StartNew(() =>
            {
                var pcg = new PCG(stream, seed);
                for (long i = 0; time is null ? i < share : clock.Elapsed < time; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long started = Stopwatch.GetTimestamp();
                    FuzzCase input = Cases.Generate(pcg, null, out _);
                    try
                    {
                        FuzzOutcome outcome = BatchOracle.Check(input, out long allocated);
                        figures.Add(input, outcome, allocated, Stopwatch.GetElapsedTime(started));
                    }
                    catch (FuzzFailure e)
                    {
                        throw new FuzzFailure($"Fuzz case {i} of stream {stream}, seed {seed}: {e.Message}");
                    }
                }
            }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            Task.WaitAll(workers, cancellationToken);
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<FuzzFailure>().FirstOrDefault() is FuzzFailure failure)
        {
            throw failure;
        }
        figures.Elapsed = clock.Elapsed;
        return figures;
    }

    private static Gen<FuzzCase> Seeded(string family, Func<Random, int, (byte[] Bytes, string What)> make) =>
        Gen.Select(Gen.Int, Gen.Int[0, s_caps.Length - 1]).Select((seed, cap) =>
        {
            (byte[] bytes, string what) = make(new Random(seed), s_caps[cap]);
            return new FuzzCase(family, $"seed {seed}: {what}", bytes, s_caps[cap]);
        });

    private static (byte[], string) Random(Random random, int cap)
    {
        byte[] bytes = new byte[random.Next(random.Next(4) == 0 ? 2000 : 120)];
        random.NextBytes(bytes);
        return (bytes, "random bytes");
    }

    /// <summary>A valid header around random records bytes, raw or compressed (then only the records are garbage).</summary>
    private static (byte[], string) Framed(Random random, int cap)
    {
        byte[] garbage = new byte[random.Next(600)];
        random.NextBytes(garbage);
        var codec = (CompressionType)(random.Next(2) == 0 ? 0 : random.Next(1, 5));
        int count = random.Next(8) == 0 ? random.Next() : random.Next(50);
        byte[] block = codec == CompressionType.None ? garbage : BatchMutations.Compress(codec, garbage);
        return (RawBatch.Create(block, count, random.Next(-2, 60), codec), $"{garbage.Length} garbage bytes as {codec} records, count {count}");
    }

    private static FuzzCase Valid(RecordModel[] records, CompressionType codec, int seed, int cap, bool mutate)
    {
        var random = new Random(seed);
        using var builder = new RecordBatchBuilder(codec)
        {
            BaseOffset = random.Next(4) == 0 ? long.MaxValue - 100 : random.Next(),
            TimestampType = random.Next(4) == 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime,
            IsTransactional = random.Next(4) == 0,
            ProducerId = random.Next(3) == 0 ? random.Next() : -1,
        };
        byte[] bytes = RecordModel.BuildBytes(builder, records);
        string what = $"{records.Length} {codec} records, seed {seed}";
        if (!mutate)
            return new FuzzCase("valid", what, bytes, cap);
        (byte[] mutated, string how) = BatchMutations.Mutate(bytes, random);
        return new FuzzCase("mutated", $"{what}: {how}", mutated, cap);
    }

    private static (byte[], string) Hostile(Random random, int cap)
    {
        var codec = (CompressionType)(random.Next(3) == 0 ? random.Next(1, 5) : 0);
        byte[] bytes = HostileRecords.Batch(random, random.Next(1, 7), codec, out string what);
        if (random.Next(4) != 0)
            return (bytes, what);
        (byte[] mutated, string how) = BatchMutations.Mutate(bytes, random, maxSteps: 2);
        return (mutated, $"{what}; then {how}");
    }

    private static (byte[], string) Bomb(Random random, int cap)
    {
        var codec = (CompressionType)random.Next(1, 5);
        (byte[] block, string what) = random.Next(4) switch
        {
            0 => (DecompressionBombs.SnappyClaim, "snappy block claiming 2 GiB"),
            1 => (DecompressionBombs.ZstdClaim(random.Next(1, 64)), "zstd frame claiming 2^40 bytes, 128 MiB window"),
            _ => (DecompressionBombs.Zeros(codec), $"{DecompressionBombs.ZerosBytes >> 20} MiB of zeros"),
        };
        codec = what.StartsWith("snappy", StringComparison.Ordinal) ? CompressionType.Snappy
            : what.StartsWith("zstd", StringComparison.Ordinal) ? CompressionType.Zstd : codec;
        byte[] bytes = DecompressionBombs.Batch(block, codec);
        if (random.Next(3) == 0)
        {
            var steps = new List<string>();
            bytes = BatchMutations.SetHeaderField(bytes, random, steps);
            BatchMutations.FixCrc(bytes);
            what += "; " + string.Join(", ", steps);
        }
        return (bytes, $"{codec} bomb: {what}");
    }

    private static (byte[], string) Mutated(IReadOnlyList<(string Name, byte[] Bytes, int Cap)> inputs, string family, Random random, int cap)
    {
        if (inputs.Count == 0)
            return Random(random, cap);
        (string name, byte[] original, _) = inputs[random.Next(inputs.Count)];
        (byte[] bytes, string how) = BatchMutations.Mutate(original.ToArray(), random);
        return (bytes, $"{family} {name}: {how}");
    }
}

/// <summary>What a fuzzing run did, for the test output, the soak's summary and tests/RELIABILITY.md. Thread-safe.</summary>
internal sealed class FuzzFigures
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, long> _families = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _familyTimes = new(StringComparer.Ordinal);
    private readonly long[] _outcomes = new long[4];
    private readonly long[] _maxAllocated = new long[8];

    public long Cases { get; private set; }

    public TimeSpan Elapsed { get; set; }

    public void Add(FuzzCase input, FuzzOutcome outcome, long allocated, TimeSpan took = default)
    {
        int codec = input.Bytes.Length > 22 ? input.Bytes[22] & 7 : 0;
        lock (_lock)
        {
            Cases++;
            _families[input.Family] = _families.GetValueOrDefault(input.Family) + 1;
            _familyTimes[input.Family] = _familyTimes.GetValueOrDefault(input.Family) + took;
            _outcomes[(int)outcome]++;
            _maxAllocated[codec] = Math.Max(_maxAllocated[codec], allocated);
        }
    }

    public void Merge(FuzzFigures other)
    {
        lock (_lock)
        {
            Cases += other.Cases;
            foreach ((string family, long count) in other._families)
                _families[family] = _families.GetValueOrDefault(family) + count;
            foreach ((string family, TimeSpan took) in other._familyTimes)
                _familyTimes[family] = _familyTimes.GetValueOrDefault(family) + took;
            for (int i = 0; i < _outcomes.Length; i++)
                _outcomes[i] += other._outcomes[i];
            for (int i = 0; i < _maxAllocated.Length; i++)
                _maxAllocated[i] = Math.Max(_maxAllocated[i], other._maxAllocated[i]);
            Elapsed += other.Elapsed;
        }
    }

    public long Count(FuzzOutcome outcome) => _outcomes[(int)outcome];

    /// <summary>Cases whose input was damaged or hostile: every family but the <c>valid</c> batches.</summary>
    public long Damaged
    {
        get
        {
            lock (_lock)
                return Cases - _families.GetValueOrDefault("valid");
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            string families = string.Join(", ", _families.OrderBy(f => f.Key, StringComparer.Ordinal)
                .Select(f => $"{f.Key} {f.Value:N0} ({_familyTimes.GetValueOrDefault(f.Key).TotalMilliseconds / f.Value:F2} ms each)"));
            string allocations = string.Join(", ", Enumerable.Range(0, 5).Select(c => $"{(CompressionType)c} {_maxAllocated[c] / 1024.0:N0} KiB"));
            return $"{Cases:N0} fuzz cases in {Elapsed.TotalSeconds:F1} s ({families}): " +
                $"{Count(FuzzOutcome.Decoded):N0} decoded as the reference did, {Count(FuzzOutcome.RefusedFraming):N0} refused by Parse, " +
                $"{Count(FuzzOutcome.RefusedCompression):N0} in decompression, {Count(FuzzOutcome.RefusedRecords):N0} in the records; " +
                $"largest allocation of one decode by codec: {allocations}";
        }
    }
}
