using System.Text;
using LogStore.Retention;

namespace LogStore.Tests.Retention;

[TestFixture]
public sealed class OffsetMapTests
{
    private static UInt128 H(string key) => OffsetMap.Hash(Encoding.UTF8.GetBytes(key));

    [Test]
    public void Put_LaterOffsetOfTheSameKey_ReplacesTheEarlierOne()
    {
        var map = new OffsetMap(1 << 16);
        map.Put(H("a"), 1);
        map.Put(H("b"), 2);
        map.Put(H("a"), 7);

        Assert.That((map.Get(H("a")), map.Get(H("b")), map.Get(H("c"))), Is.EqualTo((7L, 2L, -1L)));
        Assert.That(map.Count, Is.EqualTo(2));
    }

    [Test]
    public void Put_ManyKeys_EveryOneFoundUntilFull()
    {
        var map = new OffsetMap(1 << 20);
        int n = map.MaxEntries;
        for (int i = 0; i < n; i++)
            map.Put(H($"key-{i}"), i);

        Assert.That(map.IsFull, Is.True);
        Assert.That(Enumerable.Range(0, n).All(i => map.Get(H($"key-{i}")) == i), Is.True);
        Assert.Throws<InvalidOperationException>(() => map.Put(H("one-more"), 0));
        map.Put(H("key-3"), 99);
        Assert.That(map.Get(H("key-3")), Is.EqualTo(99), "an existing key still updates when full");
    }

    [Test]
    public void Clear_ForgetsEveryKey()
    {
        var map = new OffsetMap(1 << 16);
        map.Put(H("a"), 1);
        map.Clear();

        Assert.That((map.Count, map.Get(H("a"))), Is.EqualTo((0, -1L)));
    }

    [Test]
    public void Hash_DifferentKeys_Differ() =>
        Assert.That(H("a"), Is.Not.EqualTo(H("b")));
}
