using System.Net;
using System.Net.Sockets;
using CudaBert.Engine.Distributed;

namespace CudaBert.Tests.Engine;

public class TcpRendezvousTests
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task EveryRankGetsRankZerosBytesWhicheverStartsFirst()
    {
        int port = FreePort();
        byte[] id = [.. Enumerable.Range(0, 128).Select(i => (byte)(i * 37 + 11))];
        var received = new byte[3][];
        // Ranks 1 and 2 start before rank 0 listens: they must retry until it does.
        var others = Enumerable.Range(1, 2).Select(rank => Task.Run(() =>
        {
            received[rank] = new byte[128];
            TcpRendezvous.ShareFromRankZero(received[rank], rank, 3, "127.0.0.1", port, Timeout);
        })).ToArray();
        await Task.Delay(300, TestContext.Current.CancellationToken);
        received[0] = (byte[])id.Clone();
        TcpRendezvous.ShareFromRankZero(received[0], 0, 3, "127.0.0.1", port, Timeout);
        await Task.WhenAll(others);
        Assert.All(received, bytes => Assert.Equal(id, bytes));
    }

    [Fact]
    public async Task RanksStartedWithDifferentWorldSizesStopWithAMessage()
    {
        int port = FreePort();
        var other = Task.Run(() => TcpRendezvous.ShareFromRankZero(new byte[128], 1, 3, "127.0.0.1", port, Timeout));
        var zero = Assert.Throws<DataParallelLaunchException>(() => TcpRendezvous.ShareFromRankZero(new byte[128], 0, 2, "127.0.0.1", port, Timeout));
        Assert.Contains("rank 1 was started with a world of 3 ranks, rank 0 with 2", zero.Message);
        var one = await Assert.ThrowsAsync<DataParallelLaunchException>(() => other);
        Assert.Contains("rank 0 closed the connection", one.Message);
    }

    [Fact]
    public void ARankWithoutRankZeroGivesUpNamingTheAddress()
    {
        int port = FreePort();
        var error = Assert.Throws<DataParallelLaunchException>(() =>
            TcpRendezvous.ShareFromRankZero(new byte[128], 1, 2, "127.0.0.1", port, TimeSpan.FromMilliseconds(400)));
        Assert.Contains($"127.0.0.1:{port}", error.Message);
        Assert.Contains("no answer from rank 0", error.Message);
    }

    [Fact]
    public async Task AStrangerOnThePortIsNotTakenForARank()
    {
        int port = FreePort();
        var zero = Task.Run(() => TcpRendezvous.ShareFromRankZero(new byte[128], 0, 2, "127.0.0.1", port, Timeout));
        using (var stranger = new TcpClient())
        {
            while (true)
            {
                try { await stranger.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken); break; }
                catch (SocketException) { await Task.Delay(50, TestContext.Current.CancellationToken); }
            }
            await stranger.GetStream().WriteAsync("GET / HTTP/1.1\r\n"u8.ToArray(), TestContext.Current.CancellationToken);
            var error = await Assert.ThrowsAsync<DataParallelLaunchException>(() => zero);
            Assert.Contains("is not a rank of this run", error.Message);
        }
    }

    /// <summary>A port nothing listens on now (the system picks it).</summary>
    static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
