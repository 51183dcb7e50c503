using System.CommandLine;
using System.Net;

namespace LogStore.Tool.Commands;

/// <summary>
/// <c>logstore serve --data DIR --listen HOST:PORT</c>: runs the store as a single-node Kafka-protocol broker until Ctrl+C
/// or SIGTERM, then closes it cleanly, so that kcat and any Kafka client can use it from a shell; with TLS and SASL flags
/// (<see cref="ServeSecurity"/>) it is Kafka's SSL, SASL_PLAINTEXT or SASL_SSL listener. With <c>--node-id N --peers
/// 1@HOST:PORT,...</c> it runs one node of a cluster (<see cref="ServeCluster"/>).
/// </summary>
internal static class ServeCommand
{
    public static Command Create(CliContext cli)
    {
        Option<string> data = CommonOptions.Data();
        var listen = new Option<string>("--listen", "-l")
        {
            Description = "The address to listen on, HOST:PORT (port 0: any free port; the address chosen is printed).",
            DefaultValueFactory = _ => "127.0.0.1:9092",
        };
        var tlsCert = new Option<string?>("--tls-cert")
        {
            Description = "Serve TLS with this server certificate: PEM (with its key, or --tls-key) or PKCS#12 without a password.",
            HelpName = "PATH",
        };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert, when not in its file.", HelpName = "PATH" };
        var tlsClientCa = new Option<string?>("--tls-client-ca")
        {
            Description = "Require client certificates signed by the CA certificate(s) in this PEM file.",
            HelpName = "PATH",
        };
        var saslMechanisms = new Option<string?>("--sasl-mechanisms")
        {
            Description = "Require SASL with these mechanisms, comma-separated: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 " +
                "(default SCRAM-SHA-512,SCRAM-SHA-256). Needs --sasl-users.",
            HelpName = "LIST",
        };
        var saslUsers = new Option<string?>("--sasl-users")
        {
            Description = "The SASL users, one user:password a line (# comments). Passwords are salted in memory as they are read; " +
                "the file must not be readable by every user (chmod 600), or serve refuses it.",
            HelpName = "FILE",
        };
        var nodeId = new Option<int?>("--node-id")
        {
            Description = "Run one node of a cluster: this node's id, one of --peers.",
            HelpName = "N",
        };
        var peers = new Option<string?>("--peers")
        {
            Description = "Every node of the cluster, this one included, the same list on every node: ID@HOST:PORT,... (each " +
                "node's Kafka listener). Each node's controller listens on its PORT plus --controller-port-offset.",
            HelpName = "LIST",
        };
        var controllerOffset = new Option<int>("--controller-port-offset")
        {
            Description = "Where each node's controller listens: its Kafka port plus this (default 1: 9092 -> 9093, Kafka's convention).",
            DefaultValueFactory = _ => 1,
            HelpName = "N",
        };
        var peerCert = new Option<string?>("--peer-cert")
        {
            Description = "TLS with mutual certificates between the nodes: this node's certificate, CN=node-<id>, PEM (with its key, or " +
                "--peer-key) or PKCS#12 without a password. Needs --peer-ca and --tls-cert.",
            HelpName = "PATH",
        };
        var peerKey = new Option<string?>("--peer-key") { Description = "The PEM private key of --peer-cert, when not in its file.", HelpName = "PATH" };
        var peerCa = new Option<string?>("--peer-ca")
        {
            Description = "PEM certificate(s) of the authority the other nodes' certificates must chain to (the only ones trusted).",
            HelpName = "PATH",
        };
        var command = new Command("serve",
            "Run the store as a single-node Kafka broker on --listen until Ctrl+C or SIGTERM; creates the data directory when missing. " +
            "With --tls-cert clients connect over TLS (security.protocol=ssl), with --sasl-users they authenticate (sasl_plaintext, or sasl_ssl with both).")
        {
            data, listen, tlsCert, tlsKey, tlsClientCa, saslMechanisms, saslUsers, nodeId, peers, controllerOffset, peerCert, peerKey, peerCa,
        };
        command.SetAction(async (parsed, ct) =>
        {
            string directory = parsed.GetRequiredValue(data);
            IPEndPoint endpoint = ParseEndpoint(parsed.GetRequiredValue(listen));
            KafkaListenerTlsOptions? tls = ServeSecurity.Tls(parsed.GetValue(tlsCert), parsed.GetValue(tlsKey), parsed.GetValue(tlsClientCa));
            KafkaListenerSaslOptions? sasl = ServeSecurity.Sasl(parsed.GetValue(saslMechanisms), parsed.GetValue(saslUsers));
            PeerTlsOptions? peerTls = ServeSecurity.PeerTls(parsed.GetValue(peerCert), parsed.GetValue(peerKey), parsed.GetValue(peerCa));
            ReplicationOptions? replication = ServeCluster.Replication(parsed.GetValue(nodeId), parsed.GetValue(peers), parsed.GetValue(controllerOffset), endpoint,
                peerTls, listenerTls: tls is not null);
            BrokerSession.RequireStoreOrEmpty(directory);
            Broker broker;
            try
            {
                broker = await Broker.OpenAsync(new BrokerOptions
                {
                    DataDirectory = directory,
                    KafkaListener = new KafkaListenerOptions { Endpoint = endpoint, Tls = tls, Sasl = sasl },
                    Replication = replication,
                }, ct).ConfigureAwait(false);
            }
            catch (KafkaListenerException e)
            {
                throw new CommandException($"cannot listen on {endpoint}: {e.InnerException?.Message ?? e.Message}");
            }
            await using (broker.ConfigureAwait(false))
            {
                string security = (tls, sasl) switch
                {
                    (null, null) => "",
                    (not null, null) => ", TLS",
                    (null, not null) => ", SASL",
                    _ => ", TLS and SASL",
                };
                string node = replication is null ? ""
                    : $" as node {replication.NodeId} of {replication.Nodes.Count}{(replication.PeerTls is null ? "" : ", peer TLS")}";
                await cli.Out.WriteLineAsync($"Serving {Path.GetFullPath(directory)} on {broker.KafkaEndpoint}{security}{node} (Ctrl+C or SIGTERM stops)").ConfigureAwait(false);
                await cli.Out.FlushAsync(ct).ConfigureAwait(false);
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // How serving ends: the store closes cleanly below.
                }
            }
            await cli.Error.WriteLineAsync("Stopped; the store was closed cleanly.").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    internal static IPEndPoint ParseEndpoint(string text, string option = "--listen")
    {
        // "localhost:9092" names loopback; IPEndPoint.TryParse takes "127.0.0.1:9092" and "[::1]:9092".
        string normalized = text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + text[9..] : text;
        if (IPEndPoint.TryParse(normalized, out IPEndPoint? endpoint) && text.Contains(':', StringComparison.Ordinal))
            return endpoint;
        throw CommandException.Usage($"{option} must be HOST:PORT with an IP address or localhost (for example 127.0.0.1:9092), not '{text}'");
    }
}
