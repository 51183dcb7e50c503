namespace LogStore.Cluster.Records;

/// <summary>The type byte of each record in the controller log. Values are forever: a new record gets a new value, and
/// a changed layout a new version (<see cref="MetadataRecordSerde"/>).</summary>
internal enum MetadataRecordType : byte
{
    RegisterNode = 1,
    FenceNode = 2,
    UnfenceNode = 3,
    Topic = 4,
    Partition = 5,
    PartitionChange = 6,
    TopicConfig = 7,
}
