using System.Globalization;
using LogStore.Storage.Files;

namespace LogStore.Storage.Producers;

/// <summary>
/// Hands out producer ids (Kafka's ProducerIdManager, for one node): to Kafka clients through InitProducerId and to the
/// broker's own idempotent producers, from one sequence, so that no two producers — of this run or of any earlier run on
/// the same data directory — share an id. Every id comes with epoch 0.
/// </summary>
/// <remarks>
/// <para>An id handed out again would be fatal: a partition that still holds the old producer's batches would take the
/// new producer's first batch for a retry of an old one (same id, epoch and sequences) and drop it. So, as Kafka's
/// controller does, ids are reserved in blocks of <see cref="BlockSize"/>, and a block is recorded durably in the data
/// directory's <c>producer-ids</c> file (a version line <c>0</c>, then <c>next-producer-id N</c>) before any of its ids
/// is used. A block starts at the recorded id or at the clock (milliseconds × 4,096), whichever is higher, so ids stay
/// large and increasing even when the file is lost, and a clock that goes back (a fake one in tests, a VM restored)
/// cannot make them repeat while the file is there.</para>
/// <para>In a cluster every node hands out ids, and clients ask any node: node <c>slot</c> of <c>slots</c> (its place in
/// the node list all nodes share) takes only the blocks whose number is <c>slot</c> modulo <c>slots</c>, so two nodes
/// never reserve the same block, without asking each other.</para>
/// <para>Thread-safety: thread-safe; a producer takes one id when it first sends, so the lock is never contended in
/// earnest. After a crash: the file is replaced atomically, and the ids of a block reserved but not all used are skipped.</para>
/// </remarks>
internal sealed class ProducerIdManager(string dataDirectory, FileSystem files, TimeProvider time, int slot = 0, int slots = 1)
{
    /// <summary>Ids reserved per write of the file (Kafka's controller hands out blocks of 1,000).</summary>
    public const int BlockSize = 1000;

    /// <summary>The file's name in the data directory.</summary>
    public const string FileName = "producer-ids";

    private const string Version = "0";
    private const string NextKey = "next-producer-id ";

    private readonly Lock _lock = new();
    private long _next;
    private long _blockEnd;

    /// <summary>A producer id no producer of this data directory had.</summary>
    /// <exception cref="StorageException">A new block could not be recorded (the disk is full, the file is a link); no
    /// id is handed out, so none can repeat.</exception>
    public long NextProducerId()
    {
        lock (_lock)
        {
            if (_next >= _blockEnd)
                ReserveBlock();
            return _next++;
        }
    }

    private void ReserveBlock()
    {
        string path = Path.Combine(dataDirectory, FileName);
        long start = OwnBlockAtOrAfter(Math.Max(Math.Max(ReadNext(path), time.GetUtcNow().ToUnixTimeMilliseconds() << 12), _blockEnd));
        long end = start + BlockSize;
        DurableFile.WriteAtomically(files, path, string.Create(CultureInfo.InvariantCulture, $"{Version}\n{NextKey}{end}\n"));
        (_next, _blockEnd) = (start, end);
    }

    /// <summary>The start of the first block at or after <paramref name="candidate"/> that is this node's.</summary>
    internal long OwnBlockAtOrAfter(long candidate)
    {
        long block = (candidate + BlockSize - 1) / BlockSize;
        long ahead = ((slot - block) % slots + slots) % slots;
        return (block + ahead) * BlockSize;
    }

    /// <summary>The next id the file records, or 0 without a file (or with one that is not ours: the clock then decides).</summary>
    /// <exception cref="StorageException">The entry is a link or not a regular file.</exception>
    private static long ReadNext(string path)
    {
        string[]? lines;
        try
        {
            lines = StoreFile.ReadAllLinesIfExists(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Cannot read '{FileName}', which records the producer ids already handed out: {e.Message}", path, e);
        }
        if (lines is [Version, var next] && next.StartsWith(NextKey, StringComparison.Ordinal)
            && long.TryParse(next.AsSpan(NextKey.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            return value;
        }
        return 0;
    }
}
