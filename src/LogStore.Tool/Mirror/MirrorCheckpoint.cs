using System.Text.Json;

namespace LogStore.Tool.Mirror;

/// <summary>
/// The <c>--checkpoint</c> file of <c>mirror</c>: for each source partition, the next offset to mirror, every record
/// before it delivered (acknowledged by the cluster with acks=all). A small JSON object,
/// <c>{"topic":"orders","targetTopic":"orders","partitions":{"0":1200,"1":1187}}</c>, replaced whole (written beside
/// and renamed over) so a crash leaves the old or the new one, never a torn one. Stateless.
/// </summary>
internal static class MirrorCheckpoint
{
    /// <summary>The positions kept in <paramref name="path"/>, or null when there is no such file yet.</summary>
    /// <exception cref="CommandException">The file is not a checkpoint, or one of another mirror (another topic).</exception>
    public static IReadOnlyDictionary<int, long>? Load(string path, string topic, string targetTopic)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
            JsonElement root = document.RootElement;
            string? source = root.GetProperty("topic").GetString();
            string? target = root.GetProperty("targetTopic").GetString();
            if (source != topic || target != targetTopic)
            {
                throw new CommandException($"checkpoint '{path}' is for mirroring topic '{source}' to '{target}', not '{topic}' to " +
                    $"'{targetTopic}': give another --checkpoint file");
            }
            var positions = new Dictionary<int, long>();
            foreach (JsonProperty partition in root.GetProperty("partitions").EnumerateObject())
            {
                long offset = partition.Value.GetInt64();
                if (!int.TryParse(partition.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int p)
                    || offset < 0)
                {
                    throw new FormatException($"partition '{partition.Name}' at offset {offset}");
                }
                positions[p] = offset;
            }
            return positions;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CommandException($"checkpoint '{path}' is not one written by logstore mirror ({ErrorReport.OneLine(e.Message)}): " +
                "remove it to start over");
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="positions"/>.</summary>
    public static void Save(string path, string topic, string targetTopic, IEnumerable<KeyValuePair<int, long>> positions)
    {
        string temporary = path + ".tmp";
        using (FileStream file = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("topic", topic);
            writer.WriteString("targetTopic", targetTopic);
            writer.WriteStartObject("partitions");
            foreach (KeyValuePair<int, long> position in positions)
                writer.WriteNumber(position.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), position.Value);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            // Durable before the rename: a rename that outlives a lost write would leave an empty checkpoint.
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
