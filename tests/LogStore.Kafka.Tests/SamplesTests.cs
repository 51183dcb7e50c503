using System.Net;
using System.Reflection;
using System.Runtime.ExceptionServices;
using LogStore.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>The samples with <c>--kafka HOST:PORT</c>: their producers and workers, unchanged, on a Kafka cluster (a
/// store's listener on loopback); each checks what it shows and exits 0.</summary>
[TestFixture]
[NonParallelizable]
public sealed class SamplesTests
{
    [Test]
    public async Task HostedWorker_WithKafka_BillsEveryOrderThroughTheListener()
    {
        using var dir = new TempDirectory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = dir.Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), AutoCreateTopics = false },
        });
        object? returned = await Run("HostedWorker", ["--kafka", broker.KafkaEndpoint!.ToString(), "--records", "5"]);

        Assert.That(returned, Is.EqualTo(0), "HostedWorker --kafka exit code");
        Assert.That(broker.TryGetTopic("orders", out Topic? orders) && orders.Partitions.Count == 3, "the sample created its topic on the cluster");
        Assert.That(broker.DescribeConsumerGroup("billing").Partitions.Sum(p => p.CommittedOffset ?? 0), Is.EqualTo(5), "every order committed");
    }

    [TestCase("Quickstart")]
    [TestCase("WorkQueue")]       // 1: a job was lost or done twice
    [TestCase("EventSourcing")]   // 1: a replayed balance differs from the events appended
    public async Task Sample_WithKafka_ExitsWithZeroThroughTheListener(string sample)
    {
        using var dir = new TempDirectory();
        await using Broker broker = await Broker.OpenAsync(new BrokerOptions
        {
            DataDirectory = dir.Path,
            KafkaListener = new KafkaListenerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0), AutoCreateTopics = false },
        });
        object? returned = await Run(sample, ["--kafka", broker.KafkaEndpoint!.ToString()]);
        Assert.That(returned, Is.EqualTo(0), $"{sample} --kafka exit code");
    }

    private static async Task<object?> Run(string sample, string[] args)
    {
        MethodInfo entryPoint = Assembly.Load(sample).EntryPoint ?? throw new InvalidOperationException($"{sample} has no entry point.");
        // The compiler's entry point of an async Main blocks on it: run it off the test's thread.
        return await Task.Run(() =>
        {
            try
            {
                return entryPoint.Invoke(null, [args]);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));
    }
}
