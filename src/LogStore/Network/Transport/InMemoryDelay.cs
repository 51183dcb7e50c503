namespace LogStore.Network.Transport;

/// <summary>
/// The latency an <see cref="InMemoryNetwork"/> adds to a link: each relayed chunk is held for a time drawn uniformly
/// from [<see cref="Min"/>, <see cref="Max"/>] by the link's seeded <see cref="Random"/>. Immutable.
/// </summary>
internal sealed record InMemoryDelay(TimeSpan Min, TimeSpan Max)
{
    /// <summary>The wider of two delays (either may be null): a link between a slow host and a slower one is as slow
    /// as the slower.</summary>
    public static InMemoryDelay? Widest(InMemoryDelay? a, InMemoryDelay? b) =>
        a is null ? b : b is null ? a : new(a.Min > b.Min ? a.Min : b.Min, a.Max > b.Max ? a.Max : b.Max);

    /// <summary>One delay; a single draw from <paramref name="random"/> whatever the range, so the link's sequence of
    /// draws does not depend on the ranges set over time.</summary>
    public TimeSpan Draw(Random random)
    {
        double fraction = random.NextDouble();
        return Min + TimeSpan.FromTicks((long)((Max - Min).Ticks * fraction));
    }

    public override string ToString() => $"{Min.TotalMilliseconds:0.###}-{Max.TotalMilliseconds:0.###} ms";
}
