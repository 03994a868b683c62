namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Runs the blocks of a launch: in block order (x fastest, as CUDA numbers them), or, when the device
/// allows several cores and the kernel has no atomics, on several cores at once. Blocks of a
/// race-free kernel without atomics cannot observe each other, so both ways give the same memory;
/// reports are merged in block order and the fault of the lowest faulting block wins, so they are
/// the same too.
/// </summary>
internal static class GridRunner
{
    public static void Run(LaunchContext context, int parallelism)
    {
        long blocks = (long)context.GridDim.Count;
        if (parallelism <= 1 || blocks == 1 || context.Kernel.UsesAtomics) RunInOrder(context, blocks);
        else RunInParallel(context, blocks, parallelism);
    }

    static void RunInOrder(LaunchContext context, long blocks)
    {
        var executor = new BlockExecutor(context);
        try
        {
            for (long b = 0; b < blocks; b++)
            {
                try { executor.RunBlock(Index3.FromLinear(b, context.GridDim)); }
                finally { context.Add(executor.BlockReports); }
            }
        }
        finally
        {
            context.AddInstructions(executor.InstructionCount);
        }
    }

    static void RunInParallel(LaunchContext context, long blocks, int parallelism)
    {
        var reports = new SanitizerReport[]?[blocks];
        var faults = new KernelFaultException?[blocks];
        Parallel.For(0L, blocks, new ParallelOptions { MaxDegreeOfParallelism = parallelism },
            () => new BlockExecutor(context),
            (b, _, executor) =>
            {
                // Every block runs even after a fault, so "the lowest faulting block" does not depend on timing.
                try { executor.RunBlock(Index3.FromLinear(b, context.GridDim)); }
                catch (KernelFaultException fault) { faults[b] = fault; }
                if (executor.BlockReports.Count > 0) reports[b] = [.. executor.BlockReports];
                return executor;
            },
            executor => context.AddInstructions(executor.InstructionCount));
        for (long b = 0; b < blocks; b++)
        {
            if (reports[b] is { } found) context.Add(found);
            if (faults[b] is { } fault) throw fault;
        }
    }
}
