using System.CommandLine;
using System.Diagnostics;
using CudaBert.Engine.Distributed;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert train --nproc N --nnodes M --node-rank R --master-addr HOST --master-port PORT</c>: the
/// torchrun way, for GPU ranks on one or several machines. Run the same command on each of the M
/// machines (with its own <c>--node-rank</c>); each starts N copies of the command without these
/// options, rank R·N + i with <c>RANK</c>, <c>LOCAL_RANK</c>, <c>WORLD_SIZE</c> = N·M, <c>MASTER_ADDR</c>,
/// <c>MASTER_PORT</c> and its own <c>CUDA_VISIBLE_DEVICES</c> (entry i of the launcher's list, else i).
/// The ranks then meet through <see cref="TcpRendezvous"/> (rank 0's NCCL id) and NCCL. No MPI is
/// involved, so CPU ranks cannot be started this way (they stop with a message saying to use mpirun).
/// </summary>
static class NodeLaunch
{
    /// <summary>torchrun's default master port.</summary>
    public const int DefaultMasterPort = 29500;
    /// <summary>Machines when --nnodes is not given: this one.</summary>
    public const int DefaultNodes = 1;
    /// <summary>This machine's number when --node-rank is not given.</summary>
    public const int DefaultNodeRank = 0;
    /// <summary>Rank 0's machine when --master-addr is not given: this one.</summary>
    public const string DefaultMasterAddress = "127.0.0.1";

    /// <summary>What the four options and --nproc say, checked.</summary>
    public sealed record Layout(int ProcessesPerNode, int Nodes, int NodeRank, string MasterAddress, int MasterPort)
    {
        /// <summary>The ranks of all machines.</summary>
        public int WorldSize => ProcessesPerNode * Nodes;

        /// <exception cref="ArgumentException">A value out of range; the message names the option.</exception>
        public Layout Validated()
        {
            if (ProcessesPerNode < 1) throw new ArgumentException($"--nproc {ProcessesPerNode}: must be ≥ 1");
            if (Nodes < 1) throw new ArgumentException($"--nnodes {Nodes}: must be ≥ 1");
            if (NodeRank < 0 || NodeRank >= Nodes) throw new ArgumentException($"--node-rank {NodeRank}: must be in [0, {Nodes}) for --nnodes {Nodes}");
            if (MasterPort is < 1 or > 65535) throw new ArgumentException($"--master-port {MasterPort}: must be in [1, 65535]");
            if (string.IsNullOrWhiteSpace(MasterAddress)) throw new ArgumentException("--master-addr: must name rank 0's machine");
            return this;
        }

        /// <summary>The variables of local rank <paramref name="localRank"/>, given the launcher's <c>CUDA_VISIBLE_DEVICES</c> (null: unset).</summary>
        public IReadOnlyDictionary<string, string> RankEnvironment(int localRank, string? visibleDevices)
        {
            string[] gpus = visibleDevices is { Length: > 0 } ? visibleDevices.Split(',') : [.. Enumerable.Range(0, ProcessesPerNode).Select(Invariant)];
            if (localRank >= gpus.Length)
                throw new ArgumentException($"--nproc {ProcessesPerNode}: CUDA_VISIBLE_DEVICES={visibleDevices} lists only {gpus.Length} GPUs for {ProcessesPerNode} ranks on this machine");
            return new Dictionary<string, string>
            {
                [Communicators.TorchRankVariable] = Invariant(NodeRank * ProcessesPerNode + localRank),
                [Communicators.TorchLocalRankVariable] = Invariant(localRank),
                [Communicators.TorchWorldSizeVariable] = Invariant(WorldSize),
                [Communicators.MasterAddressVariable] = MasterAddress,
                [Communicators.MasterPortVariable] = Invariant(MasterPort),
                ["CUDA_VISIBLE_DEVICES"] = gpus[localRank].Trim(),
            };
        }
    }

    /// <summary>Starts this machine's ranks (this command line minus <paramref name="launcherOptions"/>) and waits; returns the first failing exit code, else 0.</summary>
    /// <exception cref="ArgumentException">This process is already a rank.</exception>
    public static int Run(ParseResult parse, IReadOnlyCollection<string> launcherOptions, Layout layout)
    {
        if (Communicators.LaunchedWorldSize() > 1)
            throw new ArgumentException($"--nnodes: this process is already one of {Communicators.LaunchedWorldSize()} ranks; give the launcher options once");
        string visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "";
        var ranks = new List<Process>();
        try
        {
            for (int local = 0; local < layout.ProcessesPerNode; local++)
            {
                string[] program = RelaunchCommandLine.ThisProgram();
                var start = new ProcessStartInfo(program[0]) { UseShellExecute = false };
                foreach (string argument in program.Skip(1).Concat(RelaunchCommandLine.Without(parse, launcherOptions))) start.ArgumentList.Add(argument);
                foreach (var (name, value) in layout.RankEnvironment(local, visible)) start.Environment[name] = value;
                ranks.Add(Process.Start(start) ?? throw new InvalidOperationException($"local rank {local} did not start"));
            }
            // The first rank to fail ends the others (finally, below), as torchrun does: they would wait for it forever.
            var running = new List<Process>(ranks);
            while (running.Count > 0)
            {
                var exits = running.Select(r => r.WaitForExitAsync()).ToArray();
                int first = Array.IndexOf(exits, Task.WhenAny(exits).GetAwaiter().GetResult());
                var finished = running[first];
                running.RemoveAt(first);
                if (finished.ExitCode != 0) return finished.ExitCode;
            }
            return 0;
        }
        finally
        {
            foreach (var rank in ranks)
            {
                if (!rank.HasExited) rank.Kill(entireProcessTree: true);
                rank.Dispose();
            }
        }
    }

    static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
