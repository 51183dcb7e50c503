using System.Threading.Tasks.Sources;

namespace LogStore.Clients;

internal sealed partial class Sender
{
    /// <summary>
    /// An auto-reset event with one asynchronous waiter, the sender loop, that allocates nothing: signals while the loop
    /// runs coalesce into one, and a signal to the sleeping loop resumes it through a thread-pool work item (never inline
    /// on the signalling thread, which may hold a partition lock or be a producer's caller).
    /// </summary>
    private sealed class Signal : IValueTaskSource, IThreadPoolWorkItem
    {
        private const int Idle = 0;
        private const int Signalled = 1;
        private const int Waiting = 2;

        private ManualResetValueTaskSourceCore<bool> _core;
        private int _state;

        public void Set()
        {
            while (true)
            {
                int state = Volatile.Read(ref _state);
                if (state == Signalled)
                    return;
                if (state == Idle)
                {
                    if (Interlocked.CompareExchange(ref _state, Signalled, Idle) == Idle)
                        return;
                    continue;
                }
                if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                {
                    ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                    return;
                }
            }
        }

        /// <summary>Completes at once when signalled since the last wait, else at the next <see cref="Set"/>. One waiter at a time.</summary>
        public ValueTask WaitAsync()
        {
            if (Interlocked.CompareExchange(ref _state, Idle, Signalled) == Signalled)
                return ValueTask.CompletedTask;
            _core.Reset();
            if (Interlocked.CompareExchange(ref _state, Waiting, Idle) != Idle)
            {
                // A Set slipped in between the two exchanges: consume it.
                Volatile.Write(ref _state, Idle);
                return ValueTask.CompletedTask;
            }
            return new ValueTask(this, _core.Version);
        }

        void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
