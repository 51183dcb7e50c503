using System.Net;
using System.Net.Sockets;
using LogStore.Network.Server;
using LogStore.Network.Transport;
using Microsoft.AspNetCore.Connections;

namespace LogStore;

/// <summary>The Kafka wire-protocol listener a Broker runs when <see cref="BrokerOptions.KafkaListener"/> is set.</summary>
public sealed partial class Broker
{
    // How long disposing waits for requests in flight before aborting their connections.
    private static readonly TimeSpan ListenerShutdownTimeout = TimeSpan.FromSeconds(30);

    private KafkaListener? _kafkaListener;

    /// <summary>The address Kafka clients connect to, its port resolved when 0 was asked for; null without
    /// <see cref="BrokerOptions.KafkaListener"/>.</summary>
    public IPEndPoint? KafkaEndpoint => _kafkaListener?.Endpoint;

    /// <summary>Starts the listener of an opened broker, then its cluster side when it is one node of a cluster; on
    /// failure disposes the broker and throws.</summary>
    private static async ValueTask<Broker> StartKafkaListenerAsync(Broker broker, KafkaListenerOptions options, CancellationToken cancellationToken)
    {
        IConnectionListenerFactory transport = broker._options.KafkaTransport ?? new SocketConnectionListenerFactory();
        var listener = new KafkaListener(options, new KafkaRequestRouter(broker, options), transport, broker._options.TimeProvider, broker._logger,
            broker._options.Replication);
        try
        {
            await listener.StartAsync(cancellationToken).ConfigureAwait(false);
            broker._kafkaListener = listener;
            if (broker._options.Replication is { } replication)
                await broker.StartClusterAsync(replication, cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch (Exception e)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            if (e is SocketException or IOException or AddressInUseException)
                throw new KafkaListenerException(options.Endpoint, e);
            throw;
        }
    }

    private ValueTask StopKafkaListenerAsync() =>
        _kafkaListener is { } listener ? listener.StopAsync(ListenerShutdownTimeout) : ValueTask.CompletedTask;
}
