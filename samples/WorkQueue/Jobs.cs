using LogStore;

namespace WorkQueue;

/// <summary>The queue's topic and its producer side.</summary>
internal static class Jobs
{
    public const string Topic = "jobs";

    /// <summary>Enqueues jobs <paramref name="first"/> to first + count - 1: key the job id (spreading jobs over the
    /// partitions), value what to do.</summary>
    public static async Task EnqueueAsync(Broker broker, int first, int count)
    {
        await using IProducer<int, string> producer = broker.CreateProducer<int, string>();
        for (int job = first; job < first + count; job++)
            producer.Produce(Topic, new Message<int, string> { Key = job, Value = $"resize image {job}.png" });
        await producer.FlushAsync();
        Console.WriteLine($"Enqueued jobs {first} to {first + count - 1}");
    }
}
