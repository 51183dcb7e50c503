using System.Net;
using System.Net.Sockets;

namespace LogStore.Tool.Tests.TestSupport;

/// <summary>Free loopback ports for cluster nodes, picked by the OS.</summary>
public static class LoopbackPorts
{
    /// <summary>
    /// <paramref name="count"/> ports, each with the next one free too (a node's Kafka port and its controller's), all
    /// free when chosen: each is bound to port 0 and kept bound until all are chosen, so none repeats.
    /// </summary>
    public static int[] PickPairs(int count)
    {
        var ports = new List<int>();
        var held = new List<Socket>();
        try
        {
            for (int attempt = 0; ports.Count < count && attempt < 200; attempt++)
            {
                var first = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                first.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                held.Add(first);
                int port = ((IPEndPoint)first.LocalEndPoint!).Port;
                if (port >= IPEndPoint.MaxPort)
                    continue;
                var second = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    second.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                    held.Add(second);
                    ports.Add(port);
                }
                catch (SocketException)
                {
                    second.Dispose();
                }
            }
        }
        finally
        {
            foreach (Socket socket in held)
                socket.Dispose();
        }
        Assert.That(ports, Has.Count.EqualTo(count), "no free port pairs on loopback");
        return [.. ports];
    }
}
