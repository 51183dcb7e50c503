using System.Buffers;
using LogStore.Protocol;

namespace LogStore.Tests.Protocol;

/// <summary>A response frame's bytes past its first pooled chunk: every byte kept, in order.</summary>
public sealed class ResponseFrameLargeWriteTests
{
    [TestCase(16 * 1024 + 1)]
    [TestCase(100_000)]
    [TestCase(1 << 20)]
    public void Write_PastOneChunk_KeepsEveryByteInOrder(int length)
    {
        const int Seed = 31337;
        byte[] bytes = new byte[length];
        new Random(Seed).NextBytes(bytes);
        using var frame = new ResponseFrame();

        frame.Write(bytes.AsSpan(0, 10));
        frame.Write(bytes.AsSpan(10));

        byte[] written = [.. frame.Parts.SelectMany(p => p.Bytes)];
        Assert.That(frame.Length, Is.EqualTo(length));
        Assert.That(written.AsSpan().SequenceEqual(bytes), Is.True, $"bytes differ (seed {Seed})");
    }
}
