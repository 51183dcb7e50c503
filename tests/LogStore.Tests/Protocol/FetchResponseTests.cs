using System.Buffers;
using LogStore.Protocol;
using LogStore.Tests.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace LogStore.Tests.Protocol;

/// <summary>Fetch records from a segment file: a file region in a <see cref="ResponseFrame"/>, copied elsewhere.</summary>
[TestFixture]
public sealed class FetchResponseTests
{
    private sealed class Lease : IDisposable
    {
        public int Disposed { get; private set; }

        public void Dispose() => Disposed++;
    }

    private static FetchResponse ResponseWith(FileRegion region) => new()
    {
        Topics =
        [
            new()
            {
                Name = "t",
                Partitions = [new() { PartitionIndex = 0, HighWatermark = 10, RecordsFile = region }],
            },
        ],
    };

    [Test]
    public void Write_RecordsFromAFileIntoAResponseFrame_AddsTheRegionAfterItsLength()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("00000000000000000000.log");
        File.WriteAllBytes(path, Enumerable.Range(0, 100).Select(i => (byte)i).ToArray());
        using SafeFileHandle file = File.OpenHandle(path);
        var lease = new Lease();

        var frame = new ResponseFrame();
        var writer = new KafkaWriter(frame);
        ResponseWith(new FileRegion(file, 10, 50, lease)).Write(ref writer, 11);

        Assert.That(frame.Parts, Has.Count.EqualTo(2), "the bytes, then the file region (v11 has nothing after records)");
        Assert.That(frame.Parts[1].IsFile, Is.True);
        Assert.That(frame.Parts[1].File.Position, Is.EqualTo(10));
        Assert.That(frame.Length, Is.EqualTo(frame.Parts[0].Bytes.Count + 50));
        ArraySegment<byte> before = frame.Parts[0].Bytes;
        Assert.That(before.AsSpan(before.Count - 4).ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 50 }), "the records length");
        Assert.That(lease.Disposed, Is.Zero, "the frame holds the lease until it is sent");
        frame.Dispose();
        Assert.That(lease.Disposed, Is.EqualTo(1));
    }

    [Test]
    public void Write_RecordsFromAFileIntoAnotherWriter_CopiesThemAndReadsBackEqual()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("00000000000000000000.log");
        byte[] content = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        File.WriteAllBytes(path, content);
        using SafeFileHandle file = File.OpenHandle(path);
        var lease = new Lease();

        var output = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(output);
        ResponseWith(new FileRegion(file, 10, 50, lease)).Write(ref writer, 16);

        var reader = new KafkaReader(new ReadOnlySequence<byte>(output.WrittenMemory));
        FetchResponse read = FetchResponse.Read(ref reader, 16);
        Assert.That(read.Topics[0].Partitions[0].Records!.Value.ToArray(), Is.EqualTo(content[10..60]));
        Assert.That(lease.Disposed, Is.EqualTo(1), "copied: the lease is released at once");
    }
}
