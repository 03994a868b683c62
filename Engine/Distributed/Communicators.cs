namespace CudaBert.Engine.Distributed;

/// <summary>
/// Finds out how this process was started and opens the matching communicator: by <c>mpirun</c>
/// (Open MPI sets <c>OMPI_COMM_WORLD_RANK</c> and <c>OMPI_COMM_WORLD_SIZE</c> in each rank's
/// environment) or alone.
/// </summary>
public static class Communicators
{
    /// <summary>The environment variable in which Open MPI's launcher gives each rank the number of ranks.</summary>
    public const string MpiWorldSizeVariable = "OMPI_COMM_WORLD_SIZE";
    /// <summary>The environment variable in which Open MPI's launcher gives each rank its number.</summary>
    public const string MpiRankVariable = "OMPI_COMM_WORLD_RANK";
    /// <summary>The environment variable in which Open MPI's launcher gives each rank its number among the ranks of its machine.</summary>
    public const string MpiLocalRankVariable = "OMPI_COMM_WORLD_LOCAL_RANK";
    /// <summary>The variable torchrun sets to the number of ranks (read only to refuse a launch this project cannot join).</summary>
    public const string TorchWorldSizeVariable = "WORLD_SIZE";

    /// <summary>
    /// The number of ranks <c>mpirun</c> started (1 when this process was not started by it). Reads the
    /// environment only: MPI is not initialized.
    /// </summary>
    /// <exception cref="InvalidOperationException">A launcher other than mpirun set WORLD_SIZE above 1.</exception>
    public static int LaunchedWorldSize()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(MpiWorldSizeVariable), out int mpiSize)) return mpiSize;
        if (int.TryParse(Environment.GetEnvironmentVariable(TorchWorldSizeVariable), out int torchSize) && torchSize > 1)
            throw new InvalidOperationException($"{TorchWorldSizeVariable}={torchSize} but no {MpiWorldSizeVariable}: the ranks must be started by Open MPI's mpirun " +
                                                $"(mpirun -np {torchSize} cudabert train …, or cudabert train --nproc {torchSize} …)");
        return 1;
    }

    /// <summary>
    /// The communicator for the ranks this process belongs to, for tensors on <paramref name="device"/>:
    /// <see cref="SingleProcessCommunicator.Instance"/> when not started by mpirun (or by mpirun with one rank);
    /// otherwise <see cref="MpiCommunicator"/> for the CPU, and for CUDA an <see cref="NcclCommunicator"/>
    /// whose id MPI shares (and which finalizes MPI when disposed).
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI, or for CUDA NCCL, is not installed.</exception>
    public static ICommunicator FromEnvironment(Device device)
    {
        if (LaunchedWorldSize() <= 1) return SingleProcessCommunicator.Instance;
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
}
