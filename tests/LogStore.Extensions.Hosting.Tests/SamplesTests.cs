using System.Reflection;
using System.Runtime.ExceptionServices;

namespace LogStore.Extensions.Hosting.Tests;

/// <summary>
/// Runs each sample's entry point in-process (the test project references them), as a user runs them with no
/// arguments, and checks that it ends with exit code 0: each sample checks what it shows and returns 1 otherwise.
/// </summary>
[TestFixture]
public sealed class SamplesTests
{
    [TestCase("Quickstart")]
    [TestCase("HostedWorker")]
    [TestCase("EventSourcing")]
    [TestCase("WorkQueue")]
    [TestCase("KafkaOnKestrel")]
    public async Task Sample_Run_ExitsWithZero(string sample)
    {
        MethodInfo entryPoint = Assembly.Load(sample).EntryPoint
            ?? throw new InvalidOperationException($"{sample} has no entry point.");
        object?[] arguments = entryPoint.GetParameters().Length == 0 ? [] : [Array.Empty<string>()];

        // The compiler's entry point of an async Main blocks on it: run it off the test's thread.
        object? returned = await Task.Run(() =>
        {
            try
            {
                return entryPoint.Invoke(null, arguments);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }
        }).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.That(returned is null or 0, $"{sample} exited with {returned}");
    }
}
