using System.Text;
using LogStore.Storage.Files;
using Microsoft.Extensions.Logging;

namespace LogStore.Storage;

/// <summary>
/// Persists each topic's <see cref="TopicConfig"/> as <c>topic-configs/&lt;topic&gt;.conf</c> in the data
/// directory: Kafka's config names, one <c>name=value</c> per line (durations in milliseconds, as Kafka's
/// <c>*.ms</c> settings; an empty value means "none"; see <see cref="TopicConfigProperties"/>). Written atomically; a file that does not parse is reported
/// as a <see cref="StorageException"/> naming it, never guessed at.
/// </summary>
internal sealed class TopicConfigStore(string dataDirectory, FileSystem files)
{
    // Short, so that a 249-character topic name still makes a legal file name.
    private const string Suffix = ".conf";
    private const int MaxFileBytes = 64 * 1024;

    private readonly string _directory = Path.Combine(dataDirectory, LogFileNames.TopicConfigDirectory);

    public string PathOf(string topic) => Path.Combine(_directory, topic + Suffix);

    /// <summary>Every topic's configuration, in name order. Links are never followed: a linked configuration directory
    /// or file is refused, a linked leftover is left in place (each logged).</summary>
    /// <exception cref="StorageException">A configuration is invalid, or it or its directory is a link.</exception>
    /// <summary>The topics that have a configuration file now (what a read-only open compares its topics with).</summary>
    public HashSet<string> ListTopics()
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        if (!Directory.Exists(_directory))
            return topics;
        foreach (string name in StoreFile.ListFiles(_directory, []))
        {
            if (name.EndsWith(Suffix, StringComparison.Ordinal))
                topics.Add(TopicOf(Path.Combine(_directory, name)));
        }
        return topics;
    }

    /// <summary>Reads the configuration of <paramref name="topic"/>.</summary>
    /// <exception cref="StorageException">It is missing or invalid.</exception>
    public TopicConfig Load(string topic) => Read(PathOf(topic));

    public IEnumerable<(string Topic, TopicConfig Config)> LoadAll(ILogger logger, bool removeLeftovers = true)
    {
        RefuseLinkedDirectory(logger);
        if (!Directory.Exists(_directory))
            yield break;
        var links = new List<string>();
        HashSet<string> names = StoreFile.ListFiles(_directory, links);
        foreach (string link in links)
        {
            string path = Path.Combine(_directory, link);
            if (!link.EndsWith(Suffix, StringComparison.Ordinal))
            {
                StorageLog.LinkLeftInPlace(logger, path);
                continue;
            }
            StorageLog.LinkRefused(logger, path);
            throw StoreFile.NotRegularFile(path, "a symbolic link");
        }
        if (removeLeftovers)
        {
            foreach (string leftover in names.Where(n => n.EndsWith(LogFileNames.TempSuffix, StringComparison.Ordinal)))
                File.Delete(Path.Combine(_directory, leftover));
        }
        foreach (string name in names.Where(n => n.EndsWith(Suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            string file = Path.Combine(_directory, name);
            yield return (TopicOf(file), Read(file));
        }
    }

    private void RefuseLinkedDirectory(ILogger? logger)
    {
        if (!StoreFile.IsLink(_directory))
            return;
        if (logger is not null)
            StorageLog.LinkRefused(logger, _directory);
        StoreFile.RefuseLinkedDirectory(_directory);
    }

    public void Save(string topic, TopicConfig config)
    {
        RefuseLinkedDirectory(logger: null);
        if (!Directory.Exists(_directory))
        {
            // The configuration directory's own name must be durable before a configuration in it can be.
            Directory.CreateDirectory(_directory);
            DurableFile.FsyncDirectory(files, Path.GetDirectoryName(_directory)!);
        }
        var text = new StringBuilder("# LogStore topic configuration (Kafka names)\n");
        foreach ((string name, string value) in TopicConfigProperties.ToProperties(config))
            text.Append(name).Append('=').Append(value).Append('\n');
        DurableFile.WriteAtomically(files, PathOf(topic), text.ToString());
    }

    public void Delete(string topic)
    {
        StoreFile.Delete(PathOf(topic));
        DurableFile.FsyncDirectory(files, _directory);
    }

    /// <summary>The topic a configuration file is named after; a name that breaks the topic rule is refused naming the file.</summary>
    private static string TopicOf(string file)
    {
        string topic = Path.GetFileNameWithoutExtension(file);
        try
        {
            TopicName.Validate(topic);
        }
        catch (InvalidTopicException e)
        {
            throw new StorageException($"Topic configuration file name is not a topic name ({e.Message}): rename the file after " +
                "its topic, or remove it if it is not one.", file, e);
        }
        return topic;
    }

    private static TopicConfig Read(string file)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            // A configuration is a few hundred bytes: a huge file is damage, refused before it is read into memory.
            long length = new FileInfo(file).Length;
            if (length > MaxFileBytes)
                throw Bad(file, $"the file is {length} bytes long; a topic configuration is at most {MaxFileBytes}");
            foreach (string raw in StoreFile.ReadAllLinesIfExists(file) ?? throw new FileNotFoundException("The file is gone.", file))
            {
                string line = raw.Trim();
                if (line.Length == 0 || line[0] == '#')
                    continue;
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw Bad(file, $"line '{line}' is not name=value");
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
            return TopicConfigProperties.FromProperties(values, (_, reason) => Bad(file, reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or OverflowException)
        {
            throw new StorageException($"Topic configuration is unreadable or invalid: {e.Message}", file, e);
        }
    }

    private static StorageException Bad(string file, string reason) =>
        new($"Topic configuration is invalid: {reason}.", file);
}
