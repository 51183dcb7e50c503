namespace LogStore;

/// <summary>A topic of that name already exists in this broker.</summary>
public sealed class TopicExistsException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="topic"/>.</summary>
    public TopicExistsException(string topic)
        : base($"Topic '{topic}' already exists. Use GetOrCreateTopicAsync to open it if it may exist.") => Topic = topic;

    /// <summary>The topic's name.</summary>
    public string Topic { get; }
}
