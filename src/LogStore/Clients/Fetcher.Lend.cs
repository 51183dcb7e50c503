using System.Runtime.CompilerServices;
using LogStore.Clients.Groups;

namespace LogStore.Clients;

internal sealed partial class Fetcher
{
    private PartitionState? _lent;
    private CompletedFetch? _lentFetch;

    /// <summary>
    /// The lease of the <see cref="ConsumedBatch"/> handed out now, or of the last one: a batch and its records are
    /// usable while their version equals this. Every end of a lease increments it, so a stale batch can never see
    /// a later one's records (a batch is a struct holding this fetcher and a version, which keeps it allocation-free).
    /// </summary>
    public int LendVersion;

    /// <summary>The partition the current lease reads; null when none is active.</summary>
    public PartitionState? LentPartition => _lent;

    /// <summary>
    /// The next record of a batch being lent: the hot path of <see cref="TryNext"/>, and only while the consumer has no
    /// group work pending (a rebalance waits for the next consume call, and records left are returned after it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryNextLent(out Record record)
    {
        if (_signal.Pending == 0)
            return TryNext(out _, out record);
        record = default;
        return false;
    }

    /// <summary>
    /// The fast path of a lease: when the partition being drained still has its turn and a record at its position in
    /// its fetch, lends it (<see cref="BeginLend"/>) and returns the version; else false (the caller takes
    /// <see cref="TrySelectSlow"/>).
    /// </summary>
    public bool TryLendBuffered(out int version)
    {
        PartitionState? p = _current;
        if (p is not null && _quota > 0 && p.Fetch is { } fetch && fetch.HasNext(p.Position))
        {
            version = BeginLend(p);
            return true;
        }
        version = 0;
        return false;
    }

    /// <summary>
    /// Lends the records of <paramref name="state"/> (the current partition, which <see cref="TrySelect"/> chose and
    /// whose fetch has a record at its position) until <see cref="EndLend"/>: the fetch keeps every decompressed buffer
    /// of the batches it walks so that earlier records of the lease stay readable. Returns the lease's version.
    /// </summary>
    public int BeginLend(PartitionState state)
    {
        EndLend();
        _lent = state;
        _lentFetch = state.Fetch!;
        _lentFetch.Hold();
        return LendVersion;
    }

    /// <summary>
    /// Ends the current lease, if any: its batch and records become unusable (ObjectDisposedException) and the buffers
    /// held for it go back to the pool. Called at the start of every consume call, and before a fetch is dropped
    /// (seek, revoke, unassign, close), which returns the buffers the records point into.
    /// </summary>
    public void EndLend()
    {
        if (_lent is null)
            return;
        LendVersion++;
        _lent = null;
        CompletedFetch fetch = _lentFetch!;
        _lentFetch = null;
        fetch.ReleaseHeld();
    }
}
