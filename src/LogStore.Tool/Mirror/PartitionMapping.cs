using System.Globalization;

namespace LogStore.Tool.Mirror;

/// <summary>How <c>mirror --partitions</c> maps source partitions to the target topic's.</summary>
internal enum PartitionMappingKind
{
    /// <summary>Partition i to partition i (the default): the target keeps each partition's order and keys.</summary>
    Same,

    /// <summary>Partition i to partition i mod the target's count: onto fewer partitions, each source's order kept.</summary>
    Modulo,

    /// <summary>The producer's partitioner chooses by key (murmur2, as Kafka's Java client and LogStore do).</summary>
    Key,

    /// <summary>An explicit list <c>SRC=DST,...</c>; source partitions it does not name are not mirrored.</summary>
    Explicit,
}

/// <summary>
/// The <c>--partitions</c> value of <c>mirror</c>: <c>same</c>, <c>modulo</c>, <c>key</c> or <c>0=0,1=0,2=1</c>.
/// Immutable; parsed once per command.
/// </summary>
internal sealed class PartitionMapping
{
    private readonly SortedDictionary<int, int>? _explicit;

    private PartitionMapping(PartitionMappingKind kind, SortedDictionary<int, int>? map)
    {
        Kind = kind;
        _explicit = map;
    }

    public static PartitionMapping Same { get; } = new(PartitionMappingKind.Same, null);

    public PartitionMappingKind Kind { get; }

    /// <summary>Parses <paramref name="text"/>; a malformed value is a usage error naming the forms accepted.</summary>
    public static PartitionMapping Parse(string text)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "same":
                return Same;
            case "modulo":
                return new PartitionMapping(PartitionMappingKind.Modulo, null);
            case "key":
                return new PartitionMapping(PartitionMappingKind.Key, null);
        }
        var map = new SortedDictionary<int, int>();
        foreach (string pair in text.Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0
                || !int.TryParse(pair.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out int source)
                || !int.TryParse(pair.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int target))
            {
                throw CommandException.Usage(
                    $"--partitions must be same, modulo, key or a list of SOURCE=TARGET partition numbers such as 0=0,1=0, not '{text}'");
            }
            if (!map.TryAdd(source, target))
                throw CommandException.Usage($"--partitions names source partition {source} twice");
        }
        return new PartitionMapping(PartitionMappingKind.Explicit, map);
    }

    /// <summary>The source partitions mirrored, of a topic with <paramref name="sourceCount"/>; an explicit list naming
    /// one the topic does not have is a failure.</summary>
    public IReadOnlyList<int> SourcePartitions(string topic, int sourceCount)
    {
        if (_explicit is null)
            return Enumerable.Range(0, sourceCount).ToArray();
        foreach (int source in _explicit.Keys)
        {
            if (source >= sourceCount)
                throw new CommandException($"--partitions names partition {source} of topic '{topic}', which has {sourceCount}");
        }
        return _explicit.Keys.ToArray();
    }

    /// <summary>The fewest partitions the target topic needs; <c>modulo</c> and <c>key</c> fit any count.</summary>
    public int RequiredTargetPartitions(int sourceCount) => Kind switch
    {
        PartitionMappingKind.Same => sourceCount,
        PartitionMappingKind.Explicit => _explicit!.Values.Max() + 1,
        _ => 1,
    };

    /// <summary>The target partition of <paramref name="source"/>, or null when the producer picks by key.</summary>
    public int? TargetOf(int source, int targetCount) => Kind switch
    {
        PartitionMappingKind.Same => source,
        PartitionMappingKind.Modulo => source % targetCount,
        PartitionMappingKind.Explicit => _explicit![source],
        _ => null,
    };
}
