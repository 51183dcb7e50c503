using System.Collections.Concurrent;

namespace WorkQueue;

/// <summary>Which worker processed each job, across every worker and phase of the sample: the proof that no job was
/// processed twice. Thread-safe.</summary>
internal sealed class JobLedger
{
    private readonly ConcurrentDictionary<int, string> _processedBy = new();
    private readonly Lock _lock = new();
    private int _duplicates;
    private (int Count, Action Then)? _waiter;

    public int Count => _processedBy.Count;

    public int Duplicates => Volatile.Read(ref _duplicates);

    /// <summary>Records that <paramref name="worker"/> processed <paramref name="job"/>.</summary>
    public void Processed(int job, string worker)
    {
        if (!_processedBy.TryAdd(job, worker))
        {
            Interlocked.Increment(ref _duplicates);
            Console.WriteLine($"  job {job} processed again by {worker} (first by {_processedBy[job]})");
        }
        Action? then = null;
        lock (_lock)
        {
            if (_waiter is { } w && _processedBy.Count >= w.Count)
            {
                then = w.Then;
                _waiter = null;
            }
        }
        then?.Invoke();
    }

    /// <summary>Runs <paramref name="then"/> once <paramref name="count"/> distinct jobs are processed.</summary>
    public void WhenCount(int count, Action then)
    {
        lock (_lock)
        {
            if (_processedBy.Count < count)
            {
                _waiter = (count, then);
                return;
            }
        }
        then();
    }
}
