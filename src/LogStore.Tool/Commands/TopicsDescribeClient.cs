using System.Globalization;
using System.Net;
using LogStore.Network.Client;
using LogStore.Network.Transport;
using LogStore.Protocol;

namespace LogStore.Tool.Commands;

/// <summary>
/// The Kafka requests <c>topics describe --bootstrap-server</c> sends to a running node, as kafka-topics' admin client
/// does: Metadata to a bootstrap server (leader, leader epoch, replicas, ISR), then ListOffsets to each partition's
/// leader (log start; the latest offset, which for read_uncommitted is the high watermark). One connection per node,
/// kept for the command; every request bounded by <see cref="RequestTimeout"/>. Not thread-safe (one command).
/// </summary>
internal sealed class TopicsDescribeClient : IAsyncDisposable
{
    /// <summary>Flexible versions both ends know: Metadata v12 carries leader epochs, ListOffsets v6 current epochs.</summary>
    private const short MetadataVersion = 12;
    private const short ListOffsetsVersion = 6;
    private const int MaxResponseBytes = 64 << 20;

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly SocketConnectionFactory _factory = new();
    private readonly Dictionary<string, KafkaClientConnection> _connections = new(StringComparer.Ordinal);

    /// <summary>Asks the first reachable server of <paramref name="bootstrap"/> (HOST:PORT[,HOST:PORT...]) for
    /// <paramref name="topic"/>'s metadata, or every topic's when null.</summary>
    /// <exception cref="CommandException">No server answered (exit 1), or the list is malformed (exit 2).</exception>
    public async Task<MetadataResponse> MetadataAsync(string bootstrap, string? topic, CancellationToken cancellationToken)
    {
        var request = new MetadataRequest
        {
            Topics = topic is null ? null : [new MetadataRequest.Topic { Name = topic }],
            AllowAutoTopicCreation = false,
        };
        NetworkException? failure = null;
        foreach (EndPoint endpoint in ParseBootstrap(bootstrap))
        {
            try
            {
                KafkaClientConnection connection = await ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);
                return await connection.SendAsync<MetadataRequest, MetadataResponse>(request, MetadataVersion, RequestTimeout, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (NetworkException e)
            {
                failure = e;
            }
        }
        throw new CommandException($"cannot reach --bootstrap-server {bootstrap}: {ErrorReport.OneLine(failure!.Message)}", failure);
    }

    /// <summary>The log start and high watermark of <paramref name="partitions"/> of <paramref name="topic"/>, asked of
    /// their leader at <paramref name="leader"/>; a partition it did not answer for is left out.</summary>
    /// <exception cref="NetworkException">The leader cannot be reached.</exception>
    public async Task<Dictionary<int, (long LogStart, long HighWatermark)>> OffsetsAsync(EndPoint leader, string topic, IReadOnlyList<int> partitions,
        CancellationToken cancellationToken)
    {
        KafkaClientConnection connection = await ConnectAsync(leader, cancellationToken).ConfigureAwait(false);
        // Kafka refuses a partition twice in one request: one request per timestamp.
        Dictionary<int, long> starts = await ListAsync(connection, topic, partitions, ListOffsetsRequest.EarliestTimestamp, cancellationToken).ConfigureAwait(false);
        Dictionary<int, long> ends = await ListAsync(connection, topic, partitions, ListOffsetsRequest.LatestTimestamp, cancellationToken).ConfigureAwait(false);
        var offsets = new Dictionary<int, (long, long)>();
        foreach ((int partition, long start) in starts)
        {
            if (ends.TryGetValue(partition, out long end))
                offsets[partition] = (start, end);
        }
        return offsets;
    }

    /// <summary>A node's address as Metadata names it: an IP address or a host name.</summary>
    public static EndPoint EndpointOf(string host, int port) =>
        IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port);

    public async ValueTask DisposeAsync()
    {
        foreach (KafkaClientConnection connection in _connections.Values)
            await connection.DisposeAsync().ConfigureAwait(false);
        _connections.Clear();
    }

    private static async Task<Dictionary<int, long>> ListAsync(KafkaClientConnection connection, string topic, IReadOnlyList<int> partitions,
        long timestamp, CancellationToken cancellationToken)
    {
        var request = new ListOffsetsRequest
        {
            IsolationLevel = 0,
            Topics = [new ListOffsetsRequest.Topic { Name = topic, Partitions = [.. partitions.Select(p => new ListOffsetsRequest.Partition { PartitionIndex = p, Timestamp = timestamp })] }],
        };
        ListOffsetsResponse response = await connection.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(request, ListOffsetsVersion, RequestTimeout, cancellationToken)
            .ConfigureAwait(false);
        var offsets = new Dictionary<int, long>();
        foreach (ListOffsetsResponse.TopicResponse answered in response.Topics.Where(t => t.Name == topic))
        {
            foreach (ListOffsetsResponse.PartitionResponse partition in answered.Partitions)
            {
                if (partition.ErrorCode == ErrorCode.None && partition.Offset >= 0)
                    offsets[partition.PartitionIndex] = partition.Offset;
            }
        }
        return offsets;
    }

    private async Task<KafkaClientConnection> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken)
    {
        string key = endpoint.ToString()!;
        if (_connections.TryGetValue(key, out KafkaClientConnection? open) && open.IsUsable)
            return open;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        KafkaClientConnection connection;
        try
        {
            connection = await KafkaClientConnection.ConnectAsync(_factory, endpoint, "logstore-tool", MaxResponseBytes, TimeProvider.System, timeout.Token)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new NetworkException($"Cannot connect to {endpoint}: no answer within {RequestTimeout.TotalSeconds:0} s");
        }
        _connections[key] = connection;
        return connection;
    }

    /// <summary>HOST:PORT[,HOST:PORT...], hosts by IP address or name.</summary>
    private static List<EndPoint> ParseBootstrap(string bootstrap)
    {
        var endpoints = new List<EndPoint>();
        foreach (string entry in bootstrap.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int colon = entry.LastIndexOf(':');
            if (colon > 0 && int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
                && port is > 0 and <= IPEndPoint.MaxPort)
            {
                string host = entry[..colon].Trim('[', ']');
                if (host.Length > 0)
                {
                    endpoints.Add(EndpointOf(host, port));
                    continue;
                }
            }
            throw CommandException.Usage($"--bootstrap-server must be HOST:PORT[,HOST:PORT...] (for example 127.0.0.1:9092), not '{entry}'");
        }
        if (endpoints.Count == 0)
            throw CommandException.Usage("--bootstrap-server needs at least one HOST:PORT");
        return endpoints;
    }
}
