using System.Buffers;
using LogStore.Records;
using LogStore.Tests.TestSupport;

namespace LogStore.Tests.Records;

/// <summary>Which batches handed to one append share bytes: over arrays (grouped by array, in or out of order) and over
/// memory that is no array's (compared pair by pair).</summary>
[TestFixture]
public sealed class SharedBytesTests
{
    private static readonly byte[] One = Batches.Make(0, 1);

    [Test]
    public void Arrays_SeparateOrAdjacent_ShareNothing_OverlappingSlicesInAnyOrderDo()
    {
        byte[] buffer = [.. One, .. One, .. One];
        RecordBatch[] slices = [.. Enumerable.Range(0, 3).Select(i => RecordBatch.Parse(buffer.AsMemory(i * One.Length, One.Length)))];
        RecordBatch other = RecordBatch.Parse(Batches.Make(0, 1));

        Assert.That(SharedBytes.Any([slices[0], slices[1], slices[2], other]), Is.False);
        Assert.That(SharedBytes.Any([slices[2], other, slices[0], slices[1]]), Is.False);
        Assert.That(SharedBytes.Any([slices[2], slices[0], other, slices[2]]), Is.True);
        Assert.That(SharedBytes.Any([slices[1], RecordBatch.Parse(buffer.AsMemory(One.Length, One.Length)), slices[0]]), Is.True);
        Assert.That(SharedBytes.Any([slices[0]]), Is.False);
    }

    [Test]
    public void MemoryThatIsNoArrays_ComparedByItsBytes()
    {
        byte[] buffer = [.. One, .. One];
        using var manager = new ArrayMemoryManager(buffer);
        RecordBatch first = RecordBatch.Parse(manager.Memory[..One.Length]);
        RecordBatch second = RecordBatch.Parse(manager.Memory[One.Length..]);
        // The same bytes as first, seen through an array rather than the manager.
        RecordBatch firstAsArray = RecordBatch.Parse(buffer.AsMemory(0, One.Length));

        Assert.That(SharedBytes.Any([first, second]), Is.False);
        Assert.That(SharedBytes.Any([second, first, RecordBatch.Parse(manager.Memory[..One.Length])]), Is.True);
        Assert.That(SharedBytes.Any([first, RecordBatch.Parse(One)]), Is.False);
        Assert.That(SharedBytes.Any([firstAsArray, second]), Is.False);
        Assert.That(SharedBytes.Any([second, firstAsArray, first]), Is.True, "a manager over an array shares its bytes");
    }

    /// <summary>Memory whose owner is a manager, not an array (as a pooled native buffer's would be).</summary>
    private sealed class ArrayMemoryManager(byte[] array) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => array;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
