namespace LogStore;

/// <summary>
/// A topic config change names a setting that does not exist or cannot be changed that way, or gives it a value that
/// does not parse or is out of range (Kafka's InvalidConfigurationException, INVALID_CONFIG). Nothing was changed.
/// </summary>
public sealed class InvalidConfigurationException : LogStoreException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="topic">The topic whose configuration was being changed.</param>
    /// <param name="configName">The Kafka name of the setting at fault (<c>retention.ms</c>, ...).</param>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="innerException">The validation error behind it, if any.</param>
    public InvalidConfigurationException(string topic, string configName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Topic = topic;
        ConfigName = configName;
    }

    /// <summary>The topic's name.</summary>
    public string Topic { get; }

    /// <summary>The Kafka name of the setting at fault.</summary>
    public string ConfigName { get; }
}
