using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// How ranks started without MPI (torchrun-style: <c>RANK</c>, <c>WORLD_SIZE</c>, <c>MASTER_ADDR</c>,
/// <c>MASTER_PORT</c>) get rank 0's NCCL unique id: rank 0 listens on the master port, every other rank
/// connects to the master address, says who it is, and reads the bytes. Only these 128 bytes travel
/// this way; NCCL then connects the ranks itself and moves every gradient.
/// </summary>
/// <remarks>
/// Each rank sends a 12-byte hello: a magic number, its rank and the world size it was given (little
/// endian), so that a stray connection, two ranks with one number or ranks launched with different
/// world sizes stop with a message instead of a hang. Ranks may start in any order: the others retry
/// until rank 0 listens, up to the timeout.
/// </remarks>
public static class TcpRendezvous
{
    /// <summary>How long a rank waits for the others (torchrun's default rendezvous timeout is 15 minutes; machines here start in seconds).</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    const int Magic = 0x52424443;   // "CDBR" little endian: a CudaBert rendezvous
    const int HelloSize = 12;

    /// <summary>
    /// Makes <paramref name="bytes"/> hold rank 0's bytes on every rank. Rank 0 returns once every other
    /// rank has fetched them; the others once they have them.
    /// </summary>
    /// <param name="bytes">On rank 0, the bytes to share; on the others, overwritten with them.</param>
    /// <param name="rank">This process's rank, in [0, size).</param>
    /// <param name="size">The number of ranks.</param>
    /// <param name="host">Rank 0's machine (<c>MASTER_ADDR</c>): a name or an address.</param>
    /// <param name="port">The port rank 0 listens on (<c>MASTER_PORT</c>).</param>
    /// <param name="timeout">How long to wait for the other side.</param>
    /// <exception cref="DataParallelLaunchException">The other side did not come in time, or spoke out of turn; the message names the address and the ranks.</exception>
    public static void ShareFromRankZero(byte[] bytes, int rank, int size, string host, int port, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in [0, {size})");
        if (port is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(port), $"port {port} is not in [1, 65535]");
        if (size == 1) return;
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            if (rank == 0) Serve(bytes, size, port, deadline.Token);
            else Fetch(bytes, rank, size, host, port, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new DataParallelLaunchException(rank == 0
                ? $"rendezvous on port {port}: not every one of the other {size - 1} ranks connected within {timeout.TotalSeconds:0} s (were all {size} started, with MASTER_ADDR naming this machine?)"
                : $"rendezvous at {host}:{port}: rank {rank} got no answer from rank 0 within {timeout.TotalSeconds:0} s (is rank 0 running, and are MASTER_ADDR and MASTER_PORT right?)");
        }
    }

    /// <summary>Rank 0: accepts one connection per other rank and answers each with the bytes.</summary>
    static void Serve(byte[] bytes, int size, int port, CancellationToken cancel)
    {
        var listener = new TcpListener(IPAddress.Any, port);
        listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        try { listener.Start(); }
        catch (SocketException e) { throw new DataParallelLaunchException($"rendezvous: rank 0 cannot listen on port {port}: {e.Message} (choose another MASTER_PORT)", e); }
        try
        {
            var served = new HashSet<int>();
            while (served.Count < size - 1)
            {
                using var client = listener.AcceptTcpClientAsync(cancel).AsTask().GetAwaiter().GetResult();
                using var stream = client.GetStream();
                var hello = new byte[HelloSize];
                stream.ReadExactlyAsync(hello, cancel).AsTask().GetAwaiter().GetResult();
                var (magic, rank, theirSize) = (Read(hello, 0), Read(hello, 4), Read(hello, 8));
                if (magic != Magic)
                    throw new DataParallelLaunchException($"rendezvous on port {port}: a connection from {client.Client.RemoteEndPoint} is not a rank of this run (another program on MASTER_PORT?)");
                if (theirSize != size)
                    throw new DataParallelLaunchException($"rendezvous on port {port}: rank {rank} was started with a world of {theirSize} ranks, rank 0 with {size}");
                if (rank <= 0 || rank >= size || !served.Add(rank))
                    throw new DataParallelLaunchException($"rendezvous on port {port}: rank {rank} connected {(served.Contains(rank) ? "twice (two processes with one RANK?)" : $"but ranks are 1 … {size - 1} besides rank 0")}");
                stream.WriteAsync(bytes, cancel).AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Any other rank: connects (again and again until rank 0 listens), says who it is, reads the bytes.</summary>
    static void Fetch(byte[] bytes, int rank, int size, string host, int port, CancellationToken cancel)
    {
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            using var client = new TcpClient();
            try
            {
                client.ConnectAsync(host, port, cancel).AsTask().GetAwaiter().GetResult();
            }
            catch (SocketException)
            {
                Task.Delay(TimeSpan.FromMilliseconds(100), cancel).GetAwaiter().GetResult();   // rank 0 is not listening yet
                continue;
            }
            using var stream = client.GetStream();
            var hello = new byte[HelloSize];
            BinaryPrimitives.WriteInt32LittleEndian(hello, Magic);
            BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(4), rank);
            BinaryPrimitives.WriteInt32LittleEndian(hello.AsSpan(8), size);
            stream.WriteAsync(hello, cancel).AsTask().GetAwaiter().GetResult();
            try { stream.ReadExactlyAsync(bytes, cancel).AsTask().GetAwaiter().GetResult(); }
            catch (EndOfStreamException e)
            {
                throw new DataParallelLaunchException($"rendezvous at {host}:{port}: rank 0 closed the connection before sending the {bytes.Length} bytes (see rank 0's error)", e);
            }
            return;
        }
    }

    static int Read(byte[] hello, int offset) => BinaryPrimitives.ReadInt32LittleEndian(hello.AsSpan(offset));
}
