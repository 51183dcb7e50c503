using System.Buffers;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using LogStore.Cluster.Metadata;
using LogStore.Cluster.Records;

namespace LogStore.Cluster.Controller;

/// <summary>
/// The controller's replicated state on DotNext's Raft: applies each committed log entry (<see cref="MetadataRecordSerde"/>
/// records) to the <see cref="ClusterImage"/>, in log order, on every node alike. Every
/// <see cref="SnapshotInterval"/> entries DotNext persists the image as a snapshot (the image written as records), and
/// the write-ahead log drops the entries it covers; at start the latest snapshot is restored, then the entries after
/// it are applied again. Apply is never concurrent (DotNext's guarantee); readers take <see cref="Image"/> lock-free.
/// </summary>
internal sealed class ControllerStateMachine(DirectoryInfo location, long snapshotInterval) : SimpleStateMachine(location)
{
    private ClusterImage _image = ClusterImage.Empty;

    public long SnapshotInterval { get; } = snapshotInterval;

    public ClusterImage Image => Volatile.Read(ref _image);

    /// <summary>Raised after each applied entry that changed the image; see <see cref="IClusterMetadata.Changed"/>.</summary>
    public event Action<ClusterImage>? Changed;

    protected override ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        // Entries without payload are Raft's own (a new leader's no-op, membership): nothing to apply.
        if (entry.TryGetPayload(out ReadOnlySequence<byte> payload) && !payload.IsEmpty)
        {
            var image = Image;
            foreach (var record in MetadataRecordSerde.Deserialize(payload))
                image = image.Apply(record);
            Publish(image.WithOffset(entry.Index));
        }
        return ValueTask.FromResult(entry.Index % SnapshotInterval == 0);
    }

    protected override async ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var image = Image;
        byte[] bytes = MetadataRecordSerde.Serialize(image.ToRecords());
        await writer.WriteLittleEndianAsync(image.Offset, token).ConfigureAwait(false);
        await writer.WriteLittleEndianAsync(bytes.Length, token).ConfigureAwait(false);
        await writer.Invoke(bytes, token).ConfigureAwait(false);
    }

    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        byte[] file = await File.ReadAllBytesAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        if (file.Length < 12)
            throw new CorruptRecordException("The controller snapshot is truncated.", snapshotFile.FullName);
        long offset = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(file);
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(8));
        if (length < 0 || length > file.Length - 12)
            throw new CorruptRecordException("The controller snapshot is truncated.", snapshotFile.FullName);
        var image = ClusterImage.Empty;
        foreach (var record in MetadataRecordSerde.Deserialize(new ReadOnlySequence<byte>(file, 12, length)))
            image = image.Apply(record);
        Publish(image.WithOffset(offset));
    }

    private void Publish(ClusterImage image)
    {
        Volatile.Write(ref _image, image);
        Changed?.Invoke(image);
    }
}
