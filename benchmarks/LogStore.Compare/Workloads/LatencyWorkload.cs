using System.Diagnostics;
using System.Globalization;
using LogStore.BenchmarkShared;
using LogStore.Compare.Systems;

namespace LogStore.Compare.Workloads;

/// <summary>
/// Workload 8 (issue 16): end-to-end latency, from the call that hands a record to the log to the moment a reader
/// tailing the log sees it. A writer thread paces records at each rate of <see cref="CompareOptions.LatencyRates"/> in
/// 1 ms steps (a burst of rate/1000 records per step, a new 100 B value per record carrying its send time and number);
/// a reader thread tails the log. Each system runs <see cref="WarmupSeconds"/> unmeasured, then
/// <see cref="CompareOptions.LatencySeconds"/> measured; every measured record's latency counts.
/// </summary>
/// <remarks>
/// LogStore: <c>IProducer.Produce</c> (a new Message per record) and a group consumer's ConsumeAsync, acks=leader
/// (non-durable) with the default 5 ms linger and with none, then acks=all on a topic with flush.messages=1 (each group
/// commit fsynced before the consumer can see it). FasterLog: Enqueue per record with AutoRefreshSafeTailAddress and an iterator that scans uncommitted entries
/// (non-durable), then Commit with an iterator of committed entries (durable: the reader sees a record once its commit's
/// write is done).
/// </remarks>
internal sealed class LatencyWorkload(CompareOptions options) : IWorkload
{
    private const int Size = 100;
    private const double WarmupSeconds = 3;
    private static readonly TimeSpan ReaderDeadline = TimeSpan.FromSeconds(60);

    public int Number => 8;

    public string Title => "end-to-end latency";

    public int Steps => options.LatencyRates.Length * 5;

    public void Run(ProgressSink progress, Action<WorkloadResult> completed)
    {
        foreach (int rate in options.LatencyRates)
        {
            var result = new WorkloadResult
            {
                Id = F($"8@{rate}"),
                Title = F($"end-to-end latency at {rate:N0} records/s of {Size} B"),
                Baseline = SystemNames.LogStoreLatency,
            };
            var runs = new (string System, Func<SystemResult> Run)[]
            {
                (SystemNames.LogStoreLatency, () => LogStore(SystemNames.LogStoreLatency,
                    "IProducer.Produce (acks=leader, defaults otherwise: 5 ms linger) -> group consumer ConsumeAsync, one process", rate, Acks.Leader, durable: false, linger: null)),
                (SystemNames.LogStoreLatencyNoLinger, () => LogStore(SystemNames.LogStoreLatencyNoLinger,
                    "the same with linger 0 (Kafka's advice for latency)", rate, Acks.Leader, durable: false, linger: TimeSpan.Zero)),
                (SystemNames.LogStoreLatencyDurable, () => LogStore(SystemNames.LogStoreLatencyDurable,
                    "acks=all on a topic with flush.messages=1 (each group commit fsynced before the consumer sees it), linger 0", rate, Acks.All, durable: true, linger: TimeSpan.Zero)),
                (SystemNames.FasterLog, () => FasterLog(SystemNames.FasterLog,
                    "Enqueue per record (AutoRefreshSafeTailAddress), iterator over uncommitted entries (UnsafeGetNext)", rate, durable: false)),
                (SystemNames.FasterLogDurable, () => FasterLog(SystemNames.FasterLogDurable,
                    "Enqueue per record, Commit per step, iterator over committed entries (UnsafeGetNext)", rate, durable: true)),
            };
            foreach ((string system, Func<SystemResult> run) in runs)
            {
                progress.Status(F($"W8 at {rate:N0}/s: {system}"));
                if (options.Includes(system))
                {
                    SystemResult measured = run();
                    result.Systems.Add(measured);
                    progress.Log(F($"  W8 at {rate:N0}/s {system,-30} p50 {measured.Latency!.Value.P50Us,8:0} us  p99 {measured.Latency.Value.P99Us,8:0} us  p99.9 {measured.Latency.Value.P999Us,8:0} us  max {measured.Latency.Value.MaxUs,8:0} us"));
                }
                progress.Step();
            }
            completed(result);
        }
    }

    private SystemResult LogStore(string system, string method, int rate, Acks acks, bool durable, TimeSpan? linger)
    {
        using LogStoreStore store = LogStoreStore.Create("w8-ls", flushMessages: durable ? 1 : null);
        Schedule schedule = new(rate, options.LatencySeconds);
        IConsumer<Null, byte[]> consumer = store.Broker.CreateConsumer<Null, byte[]>(new ConsumerOptions
        {
            GroupId = "latency",
            AutoOffsetReset = AutoOffsetReset.Earliest,
        });
        var defaults = new ProducerOptions();
        IProducer<Null, byte[]> producer = store.Broker.CreateProducer<Null, byte[]>(new ProducerOptions { Acks = acks, Linger = linger ?? defaults.Linger });
        try
        {
            consumer.Subscribe([LogStoreStore.TopicName]);
            var stamps = new Stamps(schedule.Total);
            using var ready = new ManualResetEventSlim();
            Thread reader = Reader(stamps, () =>
            {
                // The group assigns on the first polls: the writer starts once the partition is this consumer's.
                var deadline = Stopwatch.StartNew();
                while (consumer.Assignment.Count == 0)
                {
                    Consume(consumer, TimeSpan.FromMilliseconds(10));
                    if (deadline.Elapsed > ReaderDeadline)
                        throw new TimeoutException("The consumer got no partition.");
                }
                ready.Set();
                while (!stamps.Complete)
                {
                    if (Consume(consumer, TimeSpan.FromMilliseconds(100)) is { } record)
                        stamps.Seen(record.Message.Value);
                    stamps.ThrowIfLate();
                }
            });
            if (!ready.Wait(ReaderDeadline))
                throw new TimeoutException("The consumer got no partition.");
            schedule.Run(
                (sequence, value) => producer.Produce(LogStoreStore.TopicName, new Message<Null, byte[]> { Value = value }),
                afterStep: null);
            return stamps.Result(system, method, reader, schedule);
        }
        finally
        {
            producer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            consumer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static ConsumeResult<Null, byte[]>? Consume(IConsumer<Null, byte[]> consumer, TimeSpan timeout)
    {
        ValueTask<ConsumeResult<Null, byte[]>?> next = consumer.ConsumeAsync(timeout);
        return next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
    }

    private unsafe SystemResult FasterLog(string system, string method, int rate, bool durable)
    {
        using FasterLogHarness harness = FasterLogHarness.Create(Scratch.NewDirectory("w8-fl"), autoRefreshSafeTail: !durable);
        FASTER.core.FasterLog log = harness.Log;
        Schedule schedule = new(rate, options.LatencySeconds);
        var stamps = new Stamps(schedule.Total);
        using FASTER.core.FasterLogScanIterator iterator = log.Scan(log.BeginAddress, long.MaxValue, scanUncommitted: !durable);
        Thread reader = Reader(stamps, () =>
        {
            while (!stamps.Complete)
            {
                if (iterator.UnsafeGetNext(out byte* entry, out int length, out _, out _))
                {
                    stamps.Seen(new ReadOnlySpan<byte>(entry, length));
                    iterator.UnsafeRelease();
                    continue;
                }
                // Bounded, so that a stalled log ends the run with an error instead of a hang.
                using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
                try
                {
                    iterator.WaitAsync(wait.Token).AsTask().GetAwaiter().GetResult();
                }
                catch (OperationCanceledException)
                {
                    stamps.ThrowIfLate();
                }
            }
        });
        schedule.Run(
            (sequence, value) => log.Enqueue(value),
            afterStep: durable ? () => log.Commit() : null);
        return stamps.Result(system, method, reader, schedule);
    }

    private static Thread Reader(Stamps stamps, Action read)
    {
        var thread = new Thread(() =>
        {
            try
            {
                read();
            }
            catch (Exception e)
            {
                stamps.Fail(e);
            }
        })
        { IsBackground = true, Name = "W8 reader" };
        thread.Start();
        return thread;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>The writer's pace: 1 ms steps of rate/1000 records, the first <see cref="WarmupSeconds"/> not measured.</summary>
    private sealed class Schedule(int rate, double seconds)
    {
        public int PerStep { get; } = Math.Max(1, rate / 1000);

        public long WarmupRecords => (long)(WarmupSeconds * 1000) * PerStep;

        public long Total => WarmupRecords + (long)(seconds * 1000) * PerStep;

        public double MeasuredSeconds => seconds;

        /// <summary>Hands every record to <paramref name="write"/> on this thread, a new value each, at the pace.</summary>
        public void Run(Action<long, byte[]> write, Action? afterStep)
        {
            long tick = Stopwatch.Frequency / 1000;
            long start = Stopwatch.GetTimestamp();
            long sequence = 0;
            for (long step = 0; sequence < Total; step++)
            {
                WaitUntil(start + step * tick);
                for (int i = 0; i < PerStep && sequence < Total; i++, sequence++)
                {
                    var value = new byte[Size];
                    BitConverter.TryWriteBytes(value, sequence);
                    BitConverter.TryWriteBytes(value.AsSpan(sizeof(long)), Stopwatch.GetTimestamp());
                    write(sequence, value);
                }
                afterStep?.Invoke();
            }
        }

        private static void WaitUntil(long due)
        {
            long millisecond = Stopwatch.Frequency / 1000;
            while (true)
            {
                long left = due - Stopwatch.GetTimestamp();
                if (left <= 0)
                    return;
                // Sleep while more than a millisecond and a bit is left (the OS's sleep overshoots by tens of us), then yield.
                if (left > millisecond * 6 / 5)
                    Thread.Sleep(1);
                else
                    Thread.Yield();
            }
        }
    }

    /// <summary>The reader's record of what it saw: each record's latency by its number.</summary>
    private sealed class Stamps(long total)
    {
        private readonly long[] _latency = new long[total];
        private readonly Stopwatch _sinceLast = Stopwatch.StartNew();
        private long _seen;
        private Exception? _failure;

        public bool Complete => _seen >= total;

        public void Seen(ReadOnlySpan<byte> value)
        {
            long now = Stopwatch.GetTimestamp();
            long sequence = BitConverter.ToInt64(value);
            if ((ulong)sequence >= (ulong)total)
                throw new InvalidOperationException($"A record numbered {sequence} of {total}.");
            _latency[sequence] = now - BitConverter.ToInt64(value[sizeof(long)..]);
            _seen++;
            _sinceLast.Restart();
        }

        public void ThrowIfLate()
        {
            if (_sinceLast.Elapsed > ReaderDeadline)
                throw new TimeoutException($"The reader saw nothing for {ReaderDeadline.TotalSeconds:0} s after {_seen} of {total} records.");
        }

        public void Fail(Exception e) => _failure = e;

        /// <summary>Waits for the reader, then the latencies of the measured records (after the warm-up).</summary>
        public SystemResult Result(string system, string method, Thread reader, Schedule schedule)
        {
            if (!reader.Join(ReaderDeadline + ReaderDeadline))
                throw new TimeoutException($"{system}: the reader did not finish.");
            if (_failure is not null)
                throw new InvalidOperationException($"{system}: the reader failed.", _failure);
            long[] measured = _latency[(int)schedule.WarmupRecords..];
            return new SystemResult
            {
                System = system,
                Method = method,
                Records = measured.Length,
                PayloadBytes = measured.Length * (long)Size,
                Seconds = schedule.MeasuredSeconds,
                RoundSeconds = [schedule.MeasuredSeconds],
                Latency = Latency.FromTicks(measured),
            };
        }
    }
}
