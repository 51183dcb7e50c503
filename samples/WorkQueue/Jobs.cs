using LogStore;

namespace WorkQueue;

/// <summary>The queue's topic and group, and its producer side.</summary>
internal static class Jobs
{
    /// <summary>"jobs" embedded; on a Kafka cluster, which outlives the sample, a name of this run's own.</summary>
    public static string Topic { get; set; } = "jobs";

    /// <summary>"workers" embedded; on a Kafka cluster a group of this run's own, as for the topic.</summary>
    public static string Group { get; set; } = "workers";

    /// <summary>Enqueues jobs <paramref name="first"/> to first + count - 1: key the job id (spreading jobs over the
    /// partitions), value what to do.</summary>
    public static async Task EnqueueAsync(IClientSupplier clients, int first, int count)
    {
        await using IProducer<int, string> producer = clients.CreateProducer<int, string>();
        for (int job = first; job < first + count; job++)
            producer.Produce(Topic, new Message<int, string> { Key = job, Value = $"resize image {job}.png" });
        await producer.FlushAsync();
        Console.WriteLine($"Enqueued jobs {first} to {first + count - 1}");
    }
}
