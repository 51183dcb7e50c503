namespace LogStore.Network.Apis.FetchSessions;

/// <summary>
/// A partition as a Fetch request names it: by topic id from v13 on (<see cref="TopicName"/> empty), by topic name
/// before (<see cref="TopicId"/> zero), so that a session keyed by either never confuses a topic deleted and created
/// again under its name with the old one.
/// </summary>
internal readonly record struct FetchPartitionKey(Guid TopicId, string TopicName, int Partition)
{
    public static FetchPartitionKey Of(bool usesTopicIds, Guid topicId, string topicName, int partition) =>
        usesTopicIds ? new(topicId, "", partition) : new(Guid.Empty, topicName, partition);
}
