using System.Collections.Concurrent;

namespace LogStore.Extensions.Hosting.Tests.TestSupport;

/// <summary>
/// What a <see cref="RecordingWorker"/> saw, shared with the test through the container: every record handed to the
/// handler, in order, and a way to wait until a number of them came, without sleeping.
/// </summary>
internal sealed class Recorder
{
    private readonly ConcurrentQueue<ConsumeResult<string, string>> _seen = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];

    public required LogStoreConsumerServiceOptions<string, string> Options { get; init; }

    /// <summary>Called for each record after it was recorded; throws to make the handler fail.</summary>
    public Func<ConsumeResult<string, string>, CancellationToken, ValueTask>? OnRecord { get; init; }

    public IReadOnlyList<ConsumeResult<string, string>> Seen => [.. _seen];

    public void Record(ConsumeResult<string, string> result)
    {
        _seen.Enqueue(result);
        lock (_waiters)
        {
            foreach ((int count, TaskCompletionSource done) in _waiters)
            {
                if (_seen.Count >= count)
                    done.TrySetResult();
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> records were handed to the handler.</summary>
    public Task WaitForAsync(int count)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((count, done));
            if (_seen.Count >= count)
                done.TrySetResult();
        }
        return done.Task.WaitAsync(TestHosts.Patience);
    }
}

/// <summary>A consumer service that records each record and runs the recorder's hook.</summary>
internal sealed class RecordingWorker(Broker broker, Recorder recorder, Microsoft.Extensions.Logging.ILogger<RecordingWorker> logger)
    : LogStoreConsumerService<string, string>(broker, recorder.Options, logger)
{
    protected override ValueTask HandleAsync(ConsumeResult<string, string> result, CancellationToken cancellationToken)
    {
        recorder.Record(result);
        return recorder.OnRecord?.Invoke(result, cancellationToken) ?? ValueTask.CompletedTask;
    }
}
