using System.Security.Cryptography;
using LogStore.Tool.Tests.TestSupport;

namespace LogStore.Tool.Tests;

/// <summary>
/// The read commands work while an application holds the store (they open it read-only, issue 17) and change no file
/// of it (issue 18): before, each failed with "locked by another Broker", and after a crash each recovered (and cut).
/// </summary>
[TestFixture]
public sealed class ReadBesideApplicationTests : ToolTestBase
{
    [Test]
    public async Task ReadCommands_WhileAnApplicationHoldsTheStore_SeeItsRecordsAndChangeNoFile()
    {
        await using Broker application = await OpenBroker();
        await AppendBatches(application, "orders", [[(1_700_000_000_000, "k1", "first")], [(1_700_000_000_001, "k2", "second")]]);
        await using (IConsumer<string, string> consumer = application.CreateConsumer<string, string>(new ConsumerOptions { GroupId = "billing", EnableAutoCommit = false }))
            consumer.Commit([new TopicPartitionOffset(new TopicPartition("orders", 0), 1)]);
        Dictionary<string, string> before = Fingerprint();

        CliRun list = await Cli.RunAsync("topics", "list", "--data", Data);
        CliRun describe = await Cli.RunAsync("topics", "describe", "--data", Data, "--topic", "orders");
        CliRun groups = await Cli.RunAsync("groups", "describe", "--data", Data, "--group", "billing");
        CliRun consume = await Cli.RunAsync("consume", "--data", Data, "--topic", "orders", "--from-beginning", "--max", "2");

        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        Assert.That(list.OutLines, Does.Contain("orders"));
        Assert.That(describe.ExitCode, Is.Zero, describe.ToString());
        Assert.That(describe.Out, Does.Contain("LogEndOffset: 2"));
        Assert.That(groups.ExitCode, Is.Zero, groups.ToString());
        Assert.That(groups.Out, Does.Contain("orders"));
        Assert.That(consume.ExitCode, Is.Zero, consume.ToString());
        Assert.That(consume.OutLines, Is.EqualTo(new[] { "first", "second" }));
        Assert.That(Fingerprint(), Is.EqualTo(before), "a read command changed a file of the store");

        // The application goes on writing undisturbed.
        await AppendBatches(application, "orders", [[(1_700_000_000_002, "k3", "third")]]);
        CliRun again = await Cli.RunAsync("consume", "--data", Data, "--topic", "orders", "--offset", "2", "--max", "1");
        Assert.That(again.OutLines, Is.EqualTo(new[] { "third" }), again.ToString());
    }

    [Test]
    public async Task Consume_WithAGroup_StillNeedsTheStoreToItself()
    {
        await using Broker application = await OpenBroker();
        await AppendBatches(application, "orders", [[(1_700_000_000_000, "k1", "first")]]);

        CliRun run = await Cli.RunAsync("consume", "--data", Data, "--topic", "orders", "--group", "g", "--max", "1");

        // Committing is a write: the command says the store is locked rather than read without committing.
        Assert.That(run.ExitCode, Is.Not.Zero, run.ToString());
        Assert.That(run.Err, Does.Contain("locked"));
    }

    private Dictionary<string, string> Fingerprint() =>
        Directory.EnumerateFiles(Data, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(Data, f),
            // The application's lock file is held exclusively: its size and time tell enough.
            f => $"{new FileInfo(f).Length} {new FileInfo(f).LastWriteTimeUtc.Ticks} {(Path.GetFileName(f) == ".lock" ? "" : Hash(f))}");

    private static string Hash(string file)
    {
        // Shared like the application's own handles, which hold some of these files open.
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
