using System.CommandLine;
using System.Diagnostics;
using CudaBert.Engine.Distributed;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert train --nproc N</c>: starts N copies of the same command (without <c>--nproc</c>) as the
/// ranks of one data-parallel run, through Open MPI's <c>mpirun -np N</c>, and waits for them. Each
/// copy sees <c>OMPI_COMM_WORLD_RANK</c> / <c>OMPI_COMM_WORLD_SIZE</c> and joins the others
/// (<see cref="Communicators.FromEnvironment(CudaBert.Engine.Device)"/>). Starting the ranks with mpirun directly does the same.
/// Each rank is started through <c>sh</c> with its own <c>CUDA_VISIBLE_DEVICES</c>: the GPU whose place in
/// the launcher's list (<c>CUDA_VISIBLE_DEVICES</c>, else 0, 1, …) is the rank's number on its machine,
/// so that every rank's CUDA device 0 is a different GPU. The script also sets torchrun's <c>RANK</c>,
/// <c>WORLD_SIZE</c> and <c>LOCAL_RANK</c> from Open MPI's variables, for code that reads those.
/// </summary>
static class DataParallelLaunch
{
    /// <summary>The launcher's name, looked for on PATH.</summary>
    const string Launcher = "mpirun";

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/></c> over this command line minus <paramref name="nprocOption"/>; returns mpirun's exit code.</summary>
    /// <exception cref="ArgumentException">mpirun is not on PATH, or this process is already a rank.</exception>
    public static int Run(ParseResult parse, string nprocOption, int ranks)
    {
        if (Communicators.LaunchedWorldSize() > 1)
            throw new ArgumentException($"{nprocOption} {ranks}: this process is already one of {Communicators.LaunchedWorldSize()} ranks started by mpirun; give {nprocOption} or mpirun, not both");
        string launcher = FindOnPath(Launcher)
                          ?? throw new ArgumentException($"{nprocOption} {ranks}: {Launcher} is not on PATH; install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)");
        var start = new ProcessStartInfo(launcher) { UseShellExecute = false };
        foreach (string argument in (string[])["-np", Invariant(ranks), .. CpuShares(ranks), "sh", "-c", RankEnvironment(ranks), .. RelaunchCommandLine.ThisProgram(), .. RelaunchCommandLine.Without(parse, [nprocOption])])
            start.ArgumentList.Add(argument);
        using var workers = Process.Start(start) ?? throw new InvalidOperationException($"{launcher} did not start");
        workers.WaitForExit();
        return workers.ExitCode;
    }

    /// <summary>
    /// mpirun's options that give each rank its own ⌊hardware threads / ranks⌋ hardware threads (the CPU
    /// backend splits its work by <see cref="Environment.ProcessorCount"/>, which follows the process's affinity).
    /// Without them Open MPI binds each of one or two ranks to a single core.
    /// None when there are more ranks than hardware threads (then mpirun needs --oversubscribe).
    /// </summary>
    static string[] CpuShares(int ranks)
    {
        int perRank = Environment.ProcessorCount / ranks;
        return perRank < 1 ? [] : ["--use-hwthread-cpus", "--map-by", $"slot:PE={Invariant(perRank)}", "--bind-to", "hwthread"];
    }

    /// <summary>
    /// A shell script that sets CUDA_VISIBLE_DEVICES to entry OMPI_COMM_WORLD_LOCAL_RANK (from 0) of the GPU
    /// list, and RANK, WORLD_SIZE, LOCAL_RANK as torchrun does, then becomes the program given after it
    /// (<c>$0</c>) with its arguments (<c>$@</c>).
    /// </summary>
    static string RankEnvironment(int ranks)
    {
        string gpus = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is { Length: > 0 } visible
            ? visible
            : string.Join(',', Enumerable.Range(0, ranks).Select(Invariant));
        return $"export CUDA_VISIBLE_DEVICES=$(echo '{gpus}' | cut -d, -f$(({Communicators.MpiLocalRankVariable} + 1))) " +
               $"RANK=${Communicators.MpiRankVariable} WORLD_SIZE=${Communicators.MpiWorldSizeVariable} LOCAL_RANK=${Communicators.MpiLocalRankVariable}; " +
               "exec \"$0\" \"$@\"";
    }

    static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(folder => Path.Combine(folder, program))
        .FirstOrDefault(File.Exists);
}
