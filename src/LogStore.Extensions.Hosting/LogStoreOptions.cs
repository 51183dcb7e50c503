using Microsoft.Extensions.Logging;

namespace LogStore.Extensions.Hosting;

/// <summary>
/// The settings of the <see cref="Broker"/> registered by <c>AddLogStore</c>: the mutable twin of
/// <see cref="BrokerOptions"/> (whose properties are init-only), so that a configure delegate can set them and the
/// <c>"LogStore"</c> configuration section can be bound to them. Every default is <see cref="BrokerOptions"/>'s.
/// </summary>
/// <example>
/// The configuration section, for example in appsettings.json:
/// <code language="json">
/// "LogStore": {
///   "DataDirectory": "data/log",
///   "RetentionCheckInterval": "00:05:00",
///   "DefaultTopicConfig": { "Partitions": 3, "RetentionTime": "7.00:00:00" },
///   "Topics": { "orders": { "Partitions": 6 }, "audit": { "RetentionTime": null } }
/// }
/// </code>
/// </example>
public sealed class LogStoreOptions
{
    /// <summary>The configuration section <c>AddLogStore(configuration)</c> binds: <c>"LogStore"</c>.</summary>
    public const string SectionName = "LogStore";

    // The single source of the defaults below, so that they cannot drift from the library's.
    private static readonly BrokerOptions Defaults = new() { DataDirectory = "." };

    /// <summary>The directory holding every partition, created if missing; a relative path is resolved against the
    /// host's content root. Required (Kafka's log.dirs).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Settings for topics created without their own. Default: <see cref="TopicConfig"/>'s defaults.</summary>
    public TopicConfig DefaultTopicConfig { get; set; } = new();

    /// <summary>How often retention is checked. Default 5 minutes (log.retention.check.interval.ms).</summary>
    public TimeSpan RetentionCheckInterval { get; set; } = Defaults.RetentionCheckInterval;

    /// <summary>How often time-based flushing is checked. Default 1 second (log.flush.scheduler.interval.ms).</summary>
    public TimeSpan FlushCheckInterval { get; set; } = Defaults.FlushCheckInterval;

    /// <summary>Most files of inactive segments kept open at once. Default 1024.</summary>
    public int MaxOpenSegmentFiles { get; set; } = Defaults.MaxOpenSegmentFiles;

    /// <summary>Where the broker logs. Default null: the host's <see cref="ILoggerFactory"/> from the container.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The broker's clock. Default null: a <see cref="System.TimeProvider"/> registered in the container, else
    /// <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>
    /// Topics created when the host starts, by name, each with its settings (null for
    /// <see cref="DefaultTopicConfig"/>). A topic that already exists keeps the settings it was created with.
    /// </summary>
    public IDictionary<string, TopicConfig?> Topics { get; } = new Dictionary<string, TopicConfig?>(StringComparer.Ordinal);

    /// <summary>The <see cref="BrokerOptions"/> these settings describe.</summary>
    /// <param name="contentRoot">The base of a relative <see cref="DataDirectory"/>; null for the current directory.</param>
    /// <param name="loggerFactory">The logger factory used when <see cref="LoggerFactory"/> is null.</param>
    /// <param name="timeProvider">The clock used when <see cref="TimeProvider"/> is null.</param>
    /// <exception cref="InvalidOperationException"><see cref="DataDirectory"/> is not set.</exception>
    public BrokerOptions ToBrokerOptions(string? contentRoot = null, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        if (string.IsNullOrWhiteSpace(DataDirectory))
            throw new InvalidOperationException(MissingDataDirectoryMessage);
        string directory = contentRoot is null ? DataDirectory : Path.Combine(contentRoot, DataDirectory);
        return new BrokerOptions
        {
            DataDirectory = directory,
            DefaultTopicConfig = DefaultTopicConfig,
            LoggerFactory = LoggerFactory ?? loggerFactory,
            TimeProvider = TimeProvider ?? timeProvider ?? System.TimeProvider.System,
            RetentionCheckInterval = RetentionCheckInterval,
            FlushCheckInterval = FlushCheckInterval,
            MaxOpenSegmentFiles = MaxOpenSegmentFiles,
        };
    }

    internal const string MissingDataDirectoryMessage =
        "LogStore's data directory is not set: set \"" + SectionName + ":DataDirectory\" in the configuration, or " +
        "DataDirectory in the AddLogStore delegate.";
}
