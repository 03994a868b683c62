namespace CudaBert.Engine.Distributed;

/// <summary>
/// Finds out how this process was started and opens the matching communicator: by <c>mpirun</c>
/// (Open MPI sets <c>OMPI_COMM_WORLD_RANK</c> and <c>OMPI_COMM_WORLD_SIZE</c> in each rank's
/// environment), torchrun-style (<c>RANK</c>, <c>WORLD_SIZE</c>, <c>MASTER_ADDR</c> and
/// <c>MASTER_PORT</c>, as <c>cudabert train --nnodes</c> and torchrun set them: GPU ranks only, which
/// meet through <see cref="TcpRendezvous"/> and NCCL), or alone.
/// </summary>
public static class Communicators
{
    /// <summary>The environment variable in which Open MPI's launcher gives each rank the number of ranks.</summary>
    public const string MpiWorldSizeVariable = "OMPI_COMM_WORLD_SIZE";
    /// <summary>The environment variable in which Open MPI's launcher gives each rank its number.</summary>
    public const string MpiRankVariable = "OMPI_COMM_WORLD_RANK";
    /// <summary>The environment variable in which Open MPI's launcher gives each rank its number among the ranks of its machine.</summary>
    public const string MpiLocalRankVariable = "OMPI_COMM_WORLD_LOCAL_RANK";
    /// <summary>The variable torchrun sets to the number of ranks.</summary>
    public const string TorchWorldSizeVariable = "WORLD_SIZE";
    /// <summary>The variable torchrun sets to this process's rank.</summary>
    public const string TorchRankVariable = "RANK";
    /// <summary>The variable torchrun sets to this process's number among the ranks of its machine.</summary>
    public const string TorchLocalRankVariable = "LOCAL_RANK";
    /// <summary>The variable torchrun sets to rank 0's machine.</summary>
    public const string MasterAddressVariable = "MASTER_ADDR";
    /// <summary>The variable torchrun sets to the port rank 0 listens on.</summary>
    public const string MasterPortVariable = "MASTER_PORT";

    /// <summary>
    /// The number of ranks the launcher started: mpirun's, else torchrun-style <c>WORLD_SIZE</c> with
    /// <c>MASTER_ADDR</c> and <c>MASTER_PORT</c>; 1 when this process was started alone. Reads the
    /// environment only: nothing is initialized.
    /// </summary>
    /// <exception cref="DataParallelLaunchException">WORLD_SIZE is above 1 without mpirun's variables or without a master address and port.</exception>
    public static int LaunchedWorldSize() => LaunchedWorldSize(Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="LaunchedWorldSize()"/>, reading the variables through <paramref name="variable"/> (name → value or null).</summary>
    public static int LaunchedWorldSize(Func<string, string?> variable)
    {
        if (int.TryParse(variable(MpiWorldSizeVariable), out int mpiSize)) return mpiSize;
        if (int.TryParse(variable(TorchWorldSizeVariable), out int torchSize) && torchSize > 1)
        {
            if (variable(MasterAddressVariable) is { Length: > 0 } && variable(MasterPortVariable) is { Length: > 0 })
                return torchSize;
            throw new DataParallelLaunchException($"{TorchWorldSizeVariable}={torchSize} but neither {MpiWorldSizeVariable} nor {MasterAddressVariable} and {MasterPortVariable}: " +
                                                $"start the ranks with Open MPI's mpirun (mpirun -np {torchSize} cudabert train …, or cudabert train --nproc {torchSize} …) " +
                                                $"or, on GPUs, with cudabert train --nproc N --nnodes M --node-rank R --master-addr HOST --master-port PORT");
        }
        return 1;
    }

    /// <summary>
    /// The communicator for the ranks this process belongs to, for tensors on <paramref name="device"/>:
    /// <see cref="SingleProcessCommunicator.Instance"/> when started alone (or as the one rank of a launch);
    /// under mpirun, <see cref="MpiCommunicator"/> for the CPU, and for CUDA an <see cref="NcclCommunicator"/>
    /// whose id MPI shares (and which finalizes MPI when disposed); torchrun-style, an
    /// <see cref="NcclCommunicator"/> whose id <see cref="TcpRendezvous"/> shares.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI, or for CUDA NCCL, is not installed.</exception>
    /// <exception cref="DataParallelLaunchException">A torchrun-style launch of CPU ranks, or of ranks that would share a GPU, or a rendezvous that failed.</exception>
    public static ICommunicator FromEnvironment(Device device) => FromEnvironment(device, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="FromEnvironment(Device)"/>, reading the variables through <paramref name="variable"/> (name → value or null).</summary>
    public static ICommunicator FromEnvironment(Device device, Func<string, string?> variable)
    {
        if (LaunchedWorldSize(variable) <= 1) return SingleProcessCommunicator.Instance;
        if (variable(MpiWorldSizeVariable) is null) return FromTorchrunVariables(device, variable);
        var mpi = MpiCommunicator.Initialize();
        if (device == Device.Cpu) return mpi;
        try
        {
            return NcclCommunicator.Create(mpi.Rank, mpi.Size, id => mpi.BroadcastBytes(id, root: 0), bootstrap: mpi);
        }
        catch
        {
            mpi.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A torchrun-style rank: NCCL, with rank 0's unique id fetched from <c>MASTER_ADDR:MASTER_PORT</c>
    /// (<see cref="TcpRendezvous"/>). CPU ranks need MPI, which only mpirun can start.
    /// </summary>
    static ICommunicator FromTorchrunVariables(Device device, Func<string, string?> variable)
    {
        int size = RequiredInt(TorchWorldSizeVariable, variable);
        int rank = RequiredInt(TorchRankVariable, variable);
        if (device == Device.Cpu)
            throw new DataParallelLaunchException($"{TorchRankVariable}/{TorchWorldSizeVariable}/{MasterAddressVariable} start GPU ranks (NCCL); CPU ranks meet through MPI: " +
                                                $"start them with mpirun -np {size} cudabert train … (several machines: mpirun --hostfile), or cudabert train --nproc N without --nnodes");
        // Each rank drives its CUDA device 0, so ranks that share a machine must each see a different GPU.
        if (int.TryParse(variable(TorchLocalRankVariable), out int localRank) && localRank > 0 &&
            (variable("CUDA_VISIBLE_DEVICES") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Length != 1)
            throw new DataParallelLaunchException($"{TorchLocalRankVariable}={localRank}: every rank uses its CUDA device 0, so give each rank of a machine its own GPU " +
                                                "with CUDA_VISIBLE_DEVICES (cudabert train --nnodes does; under torchrun, wrap the command to set it from LOCAL_RANK)");
        string host = variable(MasterAddressVariable)!;
        string portText = variable(MasterPortVariable)!;
        if (!int.TryParse(portText, out int port)) throw new DataParallelLaunchException($"{MasterPortVariable}='{portText}' is not a port number");
        return NcclCommunicator.Create(rank, size, id => TcpRendezvous.ShareFromRankZero(id, rank, size, host, port, TcpRendezvous.DefaultTimeout));
    }

    static int RequiredInt(string name, Func<string, string?> variable) =>
        int.TryParse(variable(name), out int value)
            ? value
            : throw new DataParallelLaunchException($"{name} is missing or not a number, but {TorchWorldSizeVariable} says this process is one of several ranks");
}
