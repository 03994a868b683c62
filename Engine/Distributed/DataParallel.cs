namespace CudaBert.Engine.Distributed;

/// <summary>
/// The first of the two synchronisations of data-parallel training. Every rank holds the same model
/// and takes a different share of each batch: the ranks start from rank 0's parameters
/// (<see cref="BroadcastParameters"/>) and, in each backward pass, replace their gradients by the mean
/// over the ranks (<see cref="GradientBuckets"/>); from equal parameters and equal gradients their
/// optimizers then take equal steps, so the copies stay the same.
/// </summary>
public static class DataParallel
{
    /// <summary>Overwrites every parameter on every rank with rank <paramref name="root"/>'s values.</summary>
    public static void BroadcastParameters(ICommunicator communicator, IEnumerable<Tensor> parameters, int root = 0)
    {
        if (communicator.Size == 1) return;
        foreach (var parameter in parameters) communicator.Broadcast(parameter, root);
    }
}
