using System.Runtime.ExceptionServices;

namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    /// <summary>
    /// The next fetch of one partition, read ahead on the thread pool while the consumer decodes the current one, or
    /// the data (or error) a long poll brought. Whoever comes first runs a queued read: the pool's worker, or the
    /// consumer when it needs the data before a worker started it (so a starved pool never stalls a consumer); a read
    /// already running is waited for (it is one bounded read of the page cache). Thread-safe.
    /// </summary>
    internal sealed class ReadAhead : IThreadPoolWorkItem
    {
        private const int Queued = 0;
        private const int Running = 1;
        private const int Done = 2;

        private readonly Partition? _partition;
        private readonly long _offset;
        private readonly int _maxBytes;
        private readonly ManualResetEventSlim? _done;
        private int _state;
        private FetchResult? _result;
        private ExceptionDispatchInfo? _error;

        private ReadAhead(Partition partition, long offset, int maxBytes)
        {
            _partition = partition;
            _offset = offset;
            _maxBytes = maxBytes;
            _done = new ManualResetEventSlim(false);
        }

        private ReadAhead(FetchResult? result, ExceptionDispatchInfo? error, int reservedBytes)
        {
            _result = result;
            _error = error;
            _maxBytes = reservedBytes;
            _state = Done;
        }

        /// <summary>Queues a read of up to <paramref name="maxBytes"/> at <paramref name="offset"/> on the thread pool.</summary>
        public static ReadAhead Start(Partition partition, long offset, int maxBytes)
        {
            var readAhead = new ReadAhead(partition, offset, maxBytes);
            ThreadPool.UnsafeQueueUserWorkItem(readAhead, preferLocal: false);
            return readAhead;
        }

        /// <summary>A read that already happened (a long poll's result or error) of up to <paramref name="maxBytes"/>.</summary>
        public static ReadAhead Completed(FetchResult? result, Exception? error, int maxBytes) =>
            new(result, error is null ? null : ExceptionDispatchInfo.Capture(error), maxBytes);

        /// <summary>The bytes the fetcher counts against <see cref="ConsumerOptions.FetchMaxBytes"/> for this read.</summary>
        public int ReservedBytes => _maxBytes;

        /// <summary>Whether the result is there.</summary>
        public bool IsCompleted => Volatile.Read(ref _state) == Done;

        void IThreadPoolWorkItem.Execute()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
                Run();
        }

        /// <summary>The result, reading it now if no worker started yet, else waiting for the worker.</summary>
        /// <exception cref="LogStoreException">What the read threw (out of range, corrupt, storage).</exception>
        public FetchResult Take()
        {
            if (Interlocked.CompareExchange(ref _state, Running, Queued) == Queued)
                Run();
            else if (!IsCompleted)
                _done!.Wait();
            _error?.Throw();
            return _result!;
        }

        /// <summary>Disposes the result once there is one; true when done (the read ahead is no longer wanted).</summary>
        public bool TryDiscard()
        {
            if (Interlocked.CompareExchange(ref _state, Done, Queued) == Queued)
            {
                // Claimed before any worker ran it: the read never happens.
                return true;
            }
            if (!IsCompleted)
                return false;
            _result?.Dispose();
            return true;
        }

        private void Run()
        {
            try
            {
                _result = _partition!.Replica.ReadCommitted(_offset, _maxBytes);
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                // The event first: whoever sees Done never needs it. It waits on a monitor, no OS handle, so it
                // needs no Dispose.
                _done!.Set();
                Volatile.Write(ref _state, Done);
            }
        }
    }
}
