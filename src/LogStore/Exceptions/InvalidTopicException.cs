namespace LogStore;

/// <summary>A topic name breaks Kafka's rule: 1 to 249 characters of [a-zA-Z0-9._-], and not "." or "..".</summary>
public sealed class InvalidTopicException : LogStoreException
{
    /// <summary>Creates the exception for <paramref name="topic"/>, saying why it is refused.</summary>
    public InvalidTopicException(string? topic, string reason)
        : base($"Invalid topic name '{topic}': {reason}") => Topic = topic;

    /// <summary>The name that was refused.</summary>
    public string? Topic { get; }
}
