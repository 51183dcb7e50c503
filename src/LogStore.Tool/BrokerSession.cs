using LogStore.Storage;

namespace LogStore.Tool;

/// <summary>
/// Opens the <see cref="Broker"/> of a <c>--data</c> directory for one command, as Kafka's scripts connect to a broker.
/// Every command but <c>topics create</c> and <c>bench</c> refuses a directory that does not exist, because opening
/// one creates it: a mistyped path would otherwise silently become an empty store. No command opens an existing
/// directory that is not a store (a mistyped <c>--data ~/app</c> for <c>~/app/data</c>): opening writes a lock file and a
/// shutdown marker into it, and a create would mix a store into the user's own files. Commands that only read open the
/// store read-only, so they work while an application holds it and change no file.
/// </summary>
internal static class BrokerSession
{

    /// <summary>Opens the store to write: it takes the directory's lock, so the application that uses it must be stopped.</summary>
    public static Task<Broker> OpenAsync(string dataDirectory, bool create, CancellationToken cancellationToken) =>
        OpenAsync(dataDirectory, create, readOnly: false, cancellationToken);

    /// <summary>Opens the store to read (<see cref="Broker.OpenReadOnlyAsync"/>): beside a running application, changing
    /// no file.</summary>
    public static Task<Broker> OpenReadOnlyAsync(string dataDirectory, CancellationToken cancellationToken) =>
        OpenAsync(dataDirectory, create: false, readOnly: true, cancellationToken);

    private static async Task<Broker> OpenAsync(string dataDirectory, bool create, bool readOnly, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(dataDirectory))
            throw CommandException.Usage("--data needs a directory");
        if (!create && !Directory.Exists(dataDirectory))
            throw new CommandException($"data directory '{dataDirectory}' does not exist");
        if (File.Exists(dataDirectory))
            throw new CommandException($"data directory '{dataDirectory}' is a file");
        RequireDataDirectory(dataDirectory, create);
        var options = new BrokerOptions { DataDirectory = dataDirectory };
        return readOnly
            ? await Broker.OpenReadOnlyAsync(options, cancellationToken).ConfigureAwait(false)
            : await Broker.OpenAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Throws unless <paramref name="dataDirectory"/> is a store, or missing or empty (a store is made there).</summary>
    public static void RequireStoreOrEmpty(string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(dataDirectory))
            throw CommandException.Usage("--data needs a directory");
        if (File.Exists(dataDirectory))
            throw new CommandException($"data directory '{dataDirectory}' is a file");
        RequireDataDirectory(dataDirectory, create: true);
    }

    /// <summary>
    /// Throws unless <paramref name="dataDirectory"/> is a LogStore data directory (it holds the topic-configs
    /// directory every opened store has), or an empty or missing one that <paramref name="create"/> may make a store.
    /// </summary>
    private static void RequireDataDirectory(string dataDirectory, bool create)
    {
        if (!Directory.Exists(dataDirectory) || IsDataDirectory(dataDirectory))
            return;
        if (create && !Directory.EnumerateFileSystemEntries(dataDirectory).Any())
            return;
        string? nested = Directory.EnumerateDirectories(dataDirectory).Order(StringComparer.Ordinal).FirstOrDefault(IsDataDirectory);
        string hint = nested is null ? "" : $"; did you mean '{nested}'?";
        throw new CommandException($"'{dataDirectory}' is not a LogStore data directory: expected a directory made by LogStore, " +
            $"holding '{LogFileNames.TopicConfigDirectory}/' and partition directories such as 'orders-0/'{hint}");
    }

    private static bool IsDataDirectory(string directory) =>
        Directory.Exists(Path.Combine(directory, LogFileNames.TopicConfigDirectory));

    /// <summary>The topic called <paramref name="name"/>, or the "unknown topic" failure.</summary>
    public static Topic GetTopic(Broker broker, string name) =>
        broker.TryGetTopic(name, out Topic? topic) ? topic : throw new CommandException($"unknown topic '{name}'");

    /// <summary>The partitions chosen by <c>--partition</c> (all when null), or the "unknown partition" failure.</summary>
    public static IReadOnlyList<Partition> GetPartitions(Topic topic, int? partition)
    {
        if (partition is not int p)
            return topic.Partitions;
        if ((uint)p >= (uint)topic.Partitions.Count)
            throw new CommandException($"unknown partition {p} of topic '{topic.Name}' (it has {topic.Partitions.Count})");
        return [topic.Partitions[p]];
    }
}
