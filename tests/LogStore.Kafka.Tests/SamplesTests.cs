using System.Net;
using System.Reflection;
using System.Runtime.ExceptionServices;
using LogStore.Tests.TestSupport;

namespace LogStore.Kafka.Tests;

/// <summary>The HostedWorker sample with <c>--kafka HOST:PORT</c>: its producer and worker, unchanged, on a Kafka
/// cluster (a store's listener on loopback); it exits 0 once every order is billed.</summary>
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
        MethodInfo entryPoint = Assembly.Load("HostedWorker").EntryPoint ?? throw new InvalidOperationException("HostedWorker has no entry point.");
        string[] args = ["--kafka", broker.KafkaEndpoint!.ToString(), "--records", "5"];

        // The compiler's entry point of an async Main blocks on it: run it off the test's thread.
        object? returned = await Task.Run(() =>
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

        Assert.That(returned, Is.EqualTo(0), "HostedWorker --kafka exit code");
        Assert.That(broker.TryGetTopic("orders", out Topic? orders) && orders.Partitions.Count == 3, "the sample created its topic on the cluster");
        Assert.That(broker.DescribeConsumerGroup("billing").Partitions.Sum(p => p.CommittedOffset ?? 0), Is.EqualTo(5), "every order committed");
    }
}
